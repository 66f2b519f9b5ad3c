// isobench's default seccomp profile: the policy of Docker's (moby's) default profile, written
// as isobench's own table. An allowlist: a syscall not named here fails with EPERM. What it keeps
// out of reach of a container without extra capabilities: namespaces (clone/unshare flags, setns),
// mounts, kernel keyrings, bpf, perf events, io_uring, module loading, the clock, reboot, swap,
// kexec, ptrace before Linux 4.8, and socket families that are not namespaced (AF_VSOCK) or that
// expose the kernel's crypto API (AF_ALG). Capability-gated groups come back with the capability,
// as in Docker (`--cap-add SYS_TIME` allows clock_settime). Only what applies to the x86 ABIs
// isobench compiles for is listed (Docker's arm, ppc, s390 and riscv entries would never apply).
import type { ArgCondition, SeccompProfile, SeccompRule } from './profile.js';

const words = (text: string): string[] => text.trim().split(/\s+/);

/** Syscalls any container may make, without a capability or an argument check, by what they act on. */
const UNRESTRICTED: Readonly<Record<string, string[]>> = {
  files: words(`
    access chdir chmod chown chown32 creat faccessat faccessat2 fchdir fchmod fchmodat fchmodat2
    fchown fchown32 fchownat fcntl fcntl64 fdatasync flock fstat fstat64 fstatat64 fstatfs fstatfs64
    fsync ftruncate ftruncate64 futimesat getcwd getdents getdents64 lchown lchown32 link linkat
    lseek _llseek lstat lstat64 mkdir mkdirat mknod mknodat newfstatat open openat openat2 readlink
    readlinkat rename renameat renameat2 rmdir stat stat64 statfs statfs64 statx symlink symlinkat
    sync sync_file_range syncfs truncate truncate64 umask unlink unlinkat utime utimensat
    utimensat_time64 utimes fadvise64 fadvise64_64 fallocate readahead name_to_handle_at cachestat`),
  xattrs: words(`
    fgetxattr flistxattr fremovexattr fsetxattr getxattr getxattrat lgetxattr listxattr listxattrat
    llistxattr lremovexattr lsetxattr removexattr removexattrat setxattr setxattrat`),
  'file descriptors': words(`
    read readv pread64 preadv preadv2 write writev pwrite64 pwritev pwritev2 close close_range dup
    dup2 dup3 pipe pipe2 ioctl copy_file_range sendfile sendfile64 splice tee vmsplice`),
  'waiting for events': words(`
    epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
    epoll_wait_old eventfd eventfd2 inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
    fanotify_mark poll ppoll ppoll_time64 select _newselect pselect6 pselect6_time64 signalfd
    signalfd4 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64`),
  // Linux AIO only: io_uring runs syscalls the filter never sees, and is a frequent exploit path.
  'asynchronous I/O': words('io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit'),
  memory: words(`
    brk madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall
    mmap mmap2 mprotect mremap mseal msync munlock munlockall munmap pkey_alloc pkey_free
    pkey_mprotect remap_file_pages`),
  processes: words(`
    execve execveat exit exit_group fork vfork wait4 waitid waitpid getpid getppid gettid getpgid
    getpgrp getsid setpgid setsid set_tid_address set_robust_list get_robust_list rseq
    restart_syscall prctl getpriority setpriority ioprio_get ioprio_set getrlimit setrlimit
    ugetrlimit prlimit64 getrusage times getcpu process_mrelease pidfd_open pidfd_send_signal
    get_thread_area set_thread_area uretprobe capget capset seccomp landlock_add_rule
    landlock_create_ruleset landlock_restrict_self`),
  scheduling: words(`
    sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
    sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
    sched_setattr sched_setparam sched_setscheduler sched_yield`),
  credentials: words(`
    getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getgroups getgroups32
    getresuid getresuid32 getresgid getresgid32 setuid setuid32 setgid setgid32 setreuid setreuid32
    setregid setregid32 setresuid setresuid32 setresgid setresgid32 setgroups setgroups32 setfsuid
    setfsuid32 setfsgid setfsgid32`),
  signals: words(`
    kill tkill tgkill rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
    rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack sigprocmask
    sigreturn pause alarm`),
  // Reading clocks and timers; adjtimex/clock_adjtime only change the clock with CAP_SYS_TIME.
  time: words(`
    adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
    clock_gettime64 clock_nanosleep clock_nanosleep_time64 gettimeofday nanosleep time getitimer
    setitimer timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
    timer_settime timer_settime64`),
  futexes: words('futex futex_time64 futex_waitv futex_wake futex_wait futex_requeue'),
  // System V and POSIX IPC: both are namespaced (the container has its own ipc namespace).
  ipc: words(`
    ipc msgctl msgget msgrcv msgsnd semctl semget semop semtimedop semtimedop_time64 shmat shmctl
    shmdt shmget mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
    mq_timedsend_time64 mq_unlink`),
  // socket(2) itself is allowed per address family below. socketcall(2) (i386) passes its
  // arguments through memory seccomp cannot read, so it cannot be checked: Docker allows it too.
  sockets: words(`
    accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
    recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair`),
  'system information': words('sysinfo uname getrandom listmount statmount'),
};

/** Syscalls a capability unlocks (Docker: includes.caps); absent from the default capability set. */
const BY_CAPABILITY: Readonly<Record<string, string[]>> = {
  // Namespaces, mounts, the LSM attributes, and the rest CAP_SYS_ADMIN already guards.
  CAP_SYS_ADMIN: words(`
    bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
    lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open
    quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare`),
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: words('delete_module init_module finit_module'),
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: words('kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
  CAP_SYS_RAWIO: words('iopl ioperm'),
  CAP_SYS_TIME: words('settimeofday stime clock_settime clock_settime64'),
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: words('get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
  // The "shocker" escape read host files through this one: only with the capability it needs.
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

/**
 * socket(2) address families a container may create (linux/socket.h AF_*). Left out: AF_ALG (38,
 * the kernel crypto API), AF_VSOCK (40, not namespaced: it reaches the host's VMs), and the
 * families Docker blocks as removed or unmaintained (DECnet 12, Econet 19, ATM SVC 20, IrDA 23,
 * WANPIPE 25, ISDN 34, CAIF 37).
 */
const SOCKET_FAMILIES: Readonly<Record<string, number>> = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_AX25: 3,
  AF_IPX: 4,
  AF_APPLETALK: 5,
  AF_NETROM: 6,
  AF_BRIDGE: 7,
  AF_ATMPVC: 8,
  AF_X25: 9,
  AF_INET6: 10,
  AF_ROSE: 11,
  AF_NETBEUI: 13,
  AF_SECURITY: 14,
  AF_KEY: 15,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  AF_ASH: 18,
  AF_RDS: 21,
  AF_SNA: 22,
  AF_PPPOX: 24,
  AF_LLC: 26,
  AF_IB: 27,
  AF_MPLS: 28,
  AF_CAN: 29,
  AF_TIPC: 30,
  AF_BLUETOOTH: 31,
  AF_IUCV: 32,
  AF_RXRPC: 33,
  AF_PHONET: 35,
  AF_IEEE802154: 36,
  AF_NFC: 39,
  AF_KCM: 41,
  AF_QIPCRTR: 42,
  AF_SMC: 43,
  AF_XDP: 44,
  AF_MCTP: 45,
};

/** personality(2) values glibc and common tools set: PER_LINUX, with UNAME26/ADDR_NO_RANDOMIZE, and the query. */
const PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

/** CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}: the flags that create namespaces (sched.h). */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000n | 0x02000000n | 0x04000000n | 0x08000000n | 0x10000000n | 0x20000000n | 0x40000000n;

const ENOSYS = 38;

const allow = { kind: 'allow' } as const;

function rule(names: string[], extra: Partial<SeccompRule> = {}): SeccompRule {
  return { names, action: allow, args: [], includes: {}, excludes: {}, ...extra };
}

function arg0(op: ArgCondition['op'], value: bigint, valueTwo = 0n): ArgCondition[] {
  return [{ index: 0, op, value, valueTwo }];
}

/** One rule per allowed socket family: arg0 <= N for the run starting at AF_UNIX, equality for the rest. */
function socketRules(): SeccompRule[] {
  const families = Object.values(SOCKET_FAMILIES).sort((a, b) => a - b);
  let firstRunEnd = 0;
  while (families[firstRunEnd + 1] === families[firstRunEnd]! + 1) firstRunEnd++;
  // AF_UNSPEC (0) creates nothing, so `<= end` of the run from AF_UNIX allows no more than the run.
  const rules = [rule(['socket'], { args: arg0('le', BigInt(families[firstRunEnd]!)) })];
  for (const family of families.slice(firstRunEnd + 1))
    rules.push(rule(['socket'], { args: arg0('eq', BigInt(family)) }));
  return rules;
}

/** Builds the default profile (a fresh object: callers may keep it). */
export function defaultSeccompProfile(): SeccompProfile {
  const rules: SeccompRule[] = [rule(Object.values(UNRESTRICTED).flat())];
  // ptrace and friends are safe once the kernel no longer lets ptrace bypass seccomp (4.8).
  rules.push(rule(words('process_vm_readv process_vm_writev ptrace'), { includes: { minKernel: [4, 8] } }));
  rules.push(...socketRules());
  for (const value of PERSONALITIES) rules.push(rule(['personality'], { args: arg0('eq', BigInt(value)) }));
  rules.push(rule(['arch_prctl'], { includes: { arches: ['amd64', 'x32'] } }));
  rules.push(rule(['modify_ldt'], { includes: { arches: ['amd64', 'x32', 'x86'] } }));
  for (const [cap, names] of Object.entries(BY_CAPABILITY)) rules.push(rule(names, { includes: { caps: [cap] } }));
  // Without CAP_SYS_ADMIN: threads and processes, but no new namespaces. clone3 passes its flags
  // in memory the filter cannot read, so it fails with ENOSYS and libc falls back to clone.
  rules.push(
    rule(['clone'], { args: arg0('masked-eq', CLONE_NAMESPACE_FLAGS, 0n), excludes: { caps: ['CAP_SYS_ADMIN'] } }),
  );
  rules.push(rule(['clone3'], { action: { kind: 'errno', errno: ENOSYS }, excludes: { caps: ['CAP_SYS_ADMIN'] } }));
  return { defaultAction: { kind: 'errno', errno: 1 }, flags: 0, rules };
}
