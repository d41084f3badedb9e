/*
 * The pod sandbox's process: holds the pod's namespaces open, reaps the zombies of a shared PID
 * namespace (it is PID 1 there) and exits cleanly on SIGINT or SIGTERM. Build: gcc -static -O2.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("pause (kubelab)");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not PID 1, zombies of other processes are not mine to reap\n");
  if (handle(SIGINT, on_stop, 0) || handle(SIGTERM, on_stop, 0) ||
      handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART)) {
    perror("pause: sigaction");
    return 1;
  }
  while (!stop_signal) pause();
  fprintf(stderr, "pause: shutting down, got signal %d\n", (int)stop_signal);
  return 0;
}
