/* isobench-helper entry point: dispatches to one subcommand per job. */
#include "helper.h"

#include <stdio.h>
#include <string.h>

static int usage(void) {
  fputs("usage: isobench-helper run MODE:NETWORK (config on fd 4) | exec CONFIG | overlay-marks DIR | opaque-dirs DIR\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  /* --init: the helper exec'd as the container's PID 1 (process.c): nothing of the rest applies. */
  if (argc > 0 && strcmp(argv[0], INIT_ARGV0) == 0) return cmd_init(argc, argv);
  if (argc != 3) return usage();
  status_init();
  if (strcmp(argv[1], "run") == 0) return cmd_run(argv[2]);
  if (strcmp(argv[1], "exec") == 0) {
    /* exec's process is seen from inside a running container: it must not be the host's binary. */
    sealed_exe_reexec(argv);
    return cmd_exec(argv[2]);
  }
  if (strcmp(argv[1], "overlay-marks") == 0) return cmd_overlay_marks(argv[2]);
  if (strcmp(argv[1], "opaque-dirs") == 0) return cmd_opaque_dirs(argv[2]);
  return usage();
}
