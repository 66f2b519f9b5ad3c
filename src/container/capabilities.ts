// The capability set a container gets by default: Docker's (moby oci/caps/defaults.go). The C
// helper keeps the same list (src/container/helper/caps.c); the seccomp profile's capability
// conditions and the peers' OCI configs are resolved against this one.

/** Docker's default capability set. */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;
