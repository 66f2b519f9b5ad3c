// workload: a real server in the target and a load generator on the host against 127.0.0.1.
// Per iteration: launch -> the server's first good answer (startup.first_response, the same
// launch clock as startup.ready), then the client's figures (requests/s, bytes/s, latency p50/p99)
// and the server's memory sampled while the load runs (the sample with the largest PSS, and the
// PSS timeline). A case without a client runs the target's own command as the load (fio, sysbench)
// and parses its output.
import { WorkloadError } from '../../errors.js';
import { type Sample, startSampler } from '../../measure/sampler.js';
import type { MemorySample } from '../../targets/types.js';
import { LOAD_PARSERS } from '../load-output/index.js';
import { within } from '../timeouts.js';
import { runClient } from '../workload/client.js';
import { requirePortFree, waitForAnswer } from '../workload/server-check.js';
import { timelinePoint } from './memory.js';
import { memoryValues } from './memory-values.js';
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureWorkload: MeasureIteration = async (context) => {
  const { target, workload, timeoutMs, signal, scenarioCase } = context;
  const settings = scenarioCase.workload;
  if (settings === undefined) throw new WorkloadError(`case ${scenarioCase.name} has no workload settings`);
  const parse = LOAD_PARSERS[settings.parser];
  if (settings.client === undefined || settings.port === undefined) {
    return runToExit(context, async (instance) => ({
      values: { ...parse(instance.outputLines().join('\n')) },
      phasesNs: instance.phases(),
    }));
  }
  const { port, client, check, path } = settings;
  await requirePortFree(port);
  const instance = await target.launch(workload);
  let sampler: ReturnType<typeof startSampler<MemorySample>> | undefined;
  try {
    const answeredNs = await within(
      waitForAnswer(port, check, path, instance.exited, signal),
      timeoutMs,
      `${target.kind}: first answer on port ${port}`,
      signal,
    );
    sampler = startSampler(() => instance.sampleMemory(), { intervalMs: scenarioCase.sampleIntervalMs });
    const output = await runClient(client, timeoutMs, signal);
    const samples = await sampler.stop();
    const figures = parse(output);
    const loaded = largest(samples) ?? (await instance.sampleMemory());
    return {
      values: {
        'startup.first_response': Number(answeredNs - instance.launchedAtNs),
        ...figures,
        ...memoryValues(loaded),
      },
      // The sampler's clock starts at the first answer; the timeline counts from launch.
      timeline: samples.map((s) => timelinePoint(Number(s.tNs + answeredNs - instance.launchedAtNs) / 1e6, s.value)),
      phasesNs: instance.phases(),
    };
  } finally {
    await sampler?.stop();
    await instance.dispose();
  }
};

/** The sample with the largest PSS: the server's footprint under the load. */
function largest(samples: Array<Sample<MemorySample>>): MemorySample | undefined {
  return samples.reduce<MemorySample | undefined>(
    (best, s) => (best === undefined || s.value.pssBytes > best.pssBytes ? s.value : best),
    undefined,
  );
}
