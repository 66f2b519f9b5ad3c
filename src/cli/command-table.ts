// Every command of the CLI in the order `--help` lists them: its name, one-line summary and help
// term, and the file that declares and runs it (loaded only when the command runs or its help is
// asked for). Adding a command: a file under commands/ exporting `cli`, and one entry here.
import type { CliCommand } from './command.js';

export interface CommandEntry {
  /** Command words, e.g. ['image', 'build']; a group (image, vm, suite) has no `load`. */
  path: readonly string[];
  /** One line for the help listings. */
  summary: string;
  /**
   * What follows the name in the parent's help listing ('[options] <image> [cmd...]'), so that
   * listing needs no command file loaded. NOTE: test/unit/cli-command-table.test.ts checks it
   * against what the command's `define` declares.
   */
  term: string;
  load?: () => Promise<{ cli: CliCommand }>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { path: ['image'], summary: 'build, list, inspect, remove, import and export images', term: '' },
  {
    path: ['image', 'build'],
    summary: 'build an image from a Containerfile/Dockerfile in CONTEXT',
    term: '[options] <context>',
    load: () => import('./commands/image-build.js'),
  },
  {
    path: ['image', 'ls'],
    summary: 'list images with their size, shared and unique bytes',
    term: '[options]',
    load: () => import('./commands/image-ls.js'),
  },
  {
    path: ['image', 'inspect'],
    summary: 'print an image as JSON',
    term: '<image>',
    load: () => import('./commands/image-inspect.js'),
  },
  {
    path: ['image', 'rm'],
    summary: 'remove images (refused while a container uses one)',
    term: '<images...>',
    load: () => import('./commands/image-rm.js'),
  },
  {
    path: ['image', 'import'],
    summary: 'import an OCI archive or a docker save tar',
    term: '[options] <archive>',
    load: () => import('./commands/image-import.js'),
  },
  {
    path: ['image', 'export'],
    summary: 'export an image as an OCI archive',
    term: '<image> <archive>',
    load: () => import('./commands/image-export.js'),
  },
  {
    path: ['run'],
    summary: 'run a container from IMAGE',
    term: '[options] <image> [cmd...]',
    load: () => import('./commands/run.js'),
  },
  {
    path: ['ps'],
    summary: 'list containers (running; -a for all)',
    term: '[options]',
    load: () => import('./commands/ps.js'),
  },
  {
    path: ['logs'],
    summary: "print a container's stdout and stderr",
    term: '[options] <container>',
    load: () => import('./commands/logs.js'),
  },
  {
    path: ['exec'],
    summary: 'run a command in a running container',
    term: '[options] <container> <cmd...>',
    load: () => import('./commands/exec.js'),
  },
  {
    path: ['stop'],
    summary: 'stop containers: SIGTERM, then SIGKILL after --time seconds',
    term: '[options] <containers...>',
    load: () => import('./commands/stop.js'),
  },
  {
    path: ['kill'],
    summary: 'send a signal to containers (default SIGKILL)',
    term: '[options] <containers...>',
    load: () => import('./commands/kill.js'),
  },
  {
    path: ['rm'],
    summary: 'remove containers (-f kills running ones first)',
    term: '[options] <containers...>',
    load: () => import('./commands/rm.js'),
  },
  {
    path: ['inspect'],
    summary: 'print a container as JSON',
    term: '<container>',
    load: () => import('./commands/inspect.js'),
  },
  { path: ['volume'], summary: 'create, list, inspect and remove named volumes', term: '' },
  {
    path: ['volume', 'create'],
    summary: 'create a named volume (kept if it exists)',
    term: '[name]',
    load: () => import('./commands/volume-create.js'),
  },
  {
    path: ['volume', 'ls'],
    summary: 'list named volumes',
    term: '[options]',
    load: () => import('./commands/volume-ls.js'),
  },
  {
    path: ['volume', 'inspect'],
    summary: 'print volumes as JSON',
    term: '<volumes...>',
    load: () => import('./commands/volume-inspect.js'),
  },
  {
    path: ['volume', 'rm'],
    summary: 'remove volumes (refused while a container uses one)',
    term: '[options] <volumes...>',
    load: () => import('./commands/volume-rm.js'),
  },
  {
    path: ['gc'],
    summary: 'clean up what crashes and killed CLIs left: processes, cgroups, temp dirs, VM leftovers',
    term: '',
    load: () => import('./commands/gc.js'),
  },
  { path: ['network'], summary: 'create, list, inspect and remove host-only bridge networks', term: '' },
  {
    path: ['network', 'create'],
    summary: 'create a host-only bridge network',
    term: '[options] <name>',
    load: () => import('./commands/network-create.js'),
  },
  {
    path: ['network', 'ls'],
    summary: 'list networks with their subnet and containers',
    term: '[options]',
    load: () => import('./commands/network-ls.js'),
  },
  {
    path: ['network', 'inspect'],
    summary: 'print a network and its containers as JSON',
    term: '<name>',
    load: () => import('./commands/network-inspect.js'),
  },
  {
    path: ['network', 'rm'],
    summary: 'remove networks (refused while a container uses one)',
    term: '<names...>',
    load: () => import('./commands/network-rm.js'),
  },
  { path: ['vm'], summary: 'run images as QEMU guests with their own kernel', term: '' },
  {
    path: ['vm', 'run'],
    summary: 'boot IMAGE as a VM and run its command',
    term: '[options] <image> [cmd...]',
    load: () => import('./commands/vm-run.js'),
  },
  { path: ['vm', 'kernel'], summary: 'guest kernels built from source', term: '' },
  {
    path: ['vm', 'kernel', 'build'],
    summary: "build a VM definition's kernel (cached by content in ISOBENCH_CACHE)",
    term: '[options]',
    load: () => import('./commands/vm-kernel-build.js'),
  },
  { path: ['vm', 'ps'], summary: 'list VMs', term: '[options]', load: () => import('./commands/vm-ps.js') },
  { path: ['vm', 'stop'], summary: 'stop VMs', term: '<vms...>', load: () => import('./commands/vm-stop.js') },
  {
    path: ['vm', 'rm'],
    summary: 'remove VMs',
    term: '[options] <vms...>',
    load: () => import('./commands/vm-rm.js'),
  },
  { path: ['suite'], summary: 'run scenarios on every target and record the results', term: '' },
  {
    path: ['suite', 'run'],
    summary: 'run scenarios (names under scenarios/ or YAML paths; default: default)',
    term: '[options] [scenarios...]',
    load: () => import('./commands/suite-run.js'),
  },
  {
    path: ['doctor'],
    summary: 'what this host can run, with the fix for each missing piece',
    term: '[options]',
    load: () => import('./commands/doctor.js'),
  },
  {
    path: ['report'],
    summary: 'write report.md, report.html, CSVs and charts for one or more runs',
    term: '[options] <runs...>',
    load: () => import('./commands/report.js'),
  },
  {
    path: ['compare'],
    summary: 'compare two runs; exit 1 on a statistically real regression',
    term: '[options] <baseline> [candidate]',
    load: () => import('./commands/compare.js'),
  },
  {
    path: ['history'],
    summary: 'print (and chart) the trend of a metric over recorded runs',
    term: '[options]',
    load: () => import('./commands/history.js'),
  },
];
