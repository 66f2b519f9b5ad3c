// How each config-only instruction changes the image's runtime config. Pure.
import type { ImageRuntimeConfig } from '../types.js';
import type { PlannedStep } from './types.js';

/** Returns the config after `step` (a new object; `config` is not modified). */
export function applyConfigStep(config: ImageRuntimeConfig, step: PlannedStep): ImageRuntimeConfig {
  const next: ImageRuntimeConfig = structuredClone(config);
  switch (step.kind) {
    case 'env': {
      const env = [...(next.Env ?? [])];
      for (const [name, value] of step.vars) {
        const index = env.findIndex((e) => e.slice(0, e.indexOf('=')) === name);
        if (index >= 0) env[index] = `${name}=${value}`;
        else env.push(`${name}=${value}`);
      }
      next.Env = env;
      break;
    }
    case 'workdir':
      next.WorkingDir = step.path;
      break;
    case 'cmd':
      next.Cmd = step.argv;
      break;
    case 'entrypoint':
      next.Entrypoint = step.argv;
      if (step.resetCmd) delete next.Cmd;
      break;
    case 'label':
      next.Labels = { ...(next.Labels ?? {}), ...Object.fromEntries(step.labels) };
      break;
    case 'user':
      next.User = step.user;
      break;
    case 'stopsignal':
      next.StopSignal = step.signal;
      break;
    default:
      // arg, copy, add, run: no config change.
      break;
  }
  return next;
}

/** Default PATH given to RUN when the image sets none (the one Docker uses). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Environment for a RUN step: ARG values first, then the image's Env (ENV wins over ARG of the same
 * name, as in Docker), then PATH if still missing.
 */
export function runEnvironment(config: ImageRuntimeConfig, args: Record<string, string>): string[] {
  const env = new Map<string, string>(Object.entries(args));
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return [...env].map(([k, v]) => `${k}=${v}`);
}
