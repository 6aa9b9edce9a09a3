/* Hostile input: reads that would block or grow without bound, writes through
 * symlinks and onto devices, duplicate JSON keys, numbers out of range, keys that
 * carry control characters into an error line. Every case must end quickly with one
 * clear error, and leak nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lint/base/base.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Runs fn in a child with a time limit and (without ASan, which reserves address
 * space of its own) a memory limit, so a read that blocks or grows without bound fails
 * the test instead of taking the machine down. True if the child returned true. */
static bool bounded(bool (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    alarm(10);
    if (!UNDER_ASAN) {
      struct rlimit lim = {(rlim_t)2 << 30, (rlim_t)2 << 30};
      setrlimit(RLIMIT_AS, &lim);
    }
    _exit(fn() ? 0 : 1);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return false;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static char *scratch_path(const char *name) { return xasprintf("%s/%s", unit_scratch(), name); }

/* ---- bounded reads ---- */

static bool read_dev_zero(void) {
  char *why = NULL;
  char *text = file_read_limited("/dev/zero", 0, NULL, &why);
  bool ok = !text && errno == EINVAL && why && strstr(why, "not a regular file (a character device)");
  free(text);
  free(why);
  return ok;
}

static bool read_fifo(void) {
  char *fifo = scratch_path("input.fifo");
  unlink(fifo);
  if (mkfifo(fifo, 0600) != 0) return false;
  /* a writer that never writes: a plain read would wait for it forever */
  int w = open(fifo, O_RDWR | O_NONBLOCK);
  char *text = file_read(fifo, NULL);
  bool ok = !text && errno == EINVAL;
  char *why = file_check(fifo, 0);
  ok = ok && why && strstr(why, "a FIFO");
  free(why);
  if (w >= 0) close(w);
  unlink(fifo);
  free(fifo);
  free(text);
  return ok;
}

static void test_read_refuses_devices_and_fifos(void) {
  CU_ASSERT(bounded(read_dev_zero));
  CU_ASSERT(bounded(read_fifo));
  char *why = NULL;
  char *text = file_read_limited(unit_scratch(), 0, NULL, &why);
  CU_ASSERT_PTR_NULL(text);
  CU_ASSERT(why && strstr(why, "a directory"));
  free(why);
  free(text);
}

static void test_read_size_limit(void) {
  char *path = unit_write("big.json", "0123456789");
  size_t len = 0;
  char *why = NULL;
  char *text = file_read_limited(path, 10, &len, &why);
  CU_ASSERT_PTR_NOT_NULL(text);
  CU_ASSERT_EQUAL(len, 10);
  CU_ASSERT_PTR_NULL(why);
  free(text);
  text = file_read_limited(path, 9, &len, &why);
  CU_ASSERT_PTR_NULL(text);
  CU_ASSERT_EQUAL(errno, EFBIG);
  CU_ASSERT(why && strstr(why, "larger than the 9 byte limit"));
  free(why);
  why = file_check(path, 9);
  CU_ASSERT(why && strstr(why, "limit"));
  free(why);
  CU_ASSERT_PTR_NULL(file_check(path, 10));
  why = NULL;
  CU_ASSERT_PTR_NULL(file_read_limited("/nonexistent/x", 0, NULL, &why));
  CU_ASSERT(why && strstr(why, "No such file"));
  free(why);
  free(path);
}

/* ---- writes ---- */

static void test_write_through_symlink(void) {
  char *real = unit_write("real-baseline.json", "old\n");
  chmod(real, 0640);
  char *link = scratch_path("link-baseline.json");
  unlink(link);
  CU_ASSERT_EQUAL(symlink("real-baseline.json", link), 0);
  char *why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(link, "new\n", 4, true, &why), 0);
  CU_ASSERT_PTR_NULL(why);
  struct stat st;
  CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode)); /* the link stays a link */
  CU_ASSERT(stat(real, &st) == 0 && (st.st_mode & 0777) == 0640);
  char *text = file_read(real, NULL);
  CU_ASSERT(text && strcmp(text, "new\n") == 0);
  free(text);
  /* without following, the link itself is replaced */
  CU_ASSERT_EQUAL(file_write_atomic(link, "own\n", 4, false, &why), 0);
  CU_ASSERT(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
  text = file_read(real, NULL);
  CU_ASSERT(text && strcmp(text, "new\n") == 0);
  free(text);
  free(link);
  free(real);
}

static void test_write_refuses_devices(void) {
  char *why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic("/dev/full", "x", 1, true, &why), -1);
  CU_ASSERT(why && strstr(why, "not a regular file (a character device)"));
  free(why);
  char *link = scratch_path("full-link");
  unlink(link);
  CU_ASSERT_EQUAL(symlink("/dev/full", link), 0);
  why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(link, "x", 1, true, &why), -1);
  CU_ASSERT(why && strstr(why, "not a regular file"));
  free(why);
  why = NULL;
  CU_ASSERT_EQUAL(file_write_atomic(unit_scratch(), "x", 1, false, &why), -1);
  CU_ASSERT(why && strstr(why, "a directory"));
  free(why);
  free(link);
}

/* ---- messages ---- */

static void test_escape(void) {
  char *e = text_escape("a\nb\x1b[31m'\"\\\xff", 100);
  CU_ASSERT_STRING_EQUAL(e, "a\\nb\\x1b[31m\\'\\\"\\\\\\xff");
  free(e);
  e = text_escape("abcdef", 3);
  CU_ASSERT_STRING_EQUAL(e, "abc...");
  free(e);
}

void unit_register_hostile(void) {
  CU_pSuite s = CU_add_suite("hostile", NULL, NULL);
  CU_add_test(s, "reads refuse devices, FIFOs and directories", test_read_refuses_devices_and_fifos);
  CU_add_test(s, "reads stop at the size limit", test_read_size_limit);
  CU_add_test(s, "writes through a symlink replace its target", test_write_through_symlink);
  CU_add_test(s, "writes refuse devices and directories", test_write_refuses_devices);
  CU_add_test(s, "escaped keys stay on one line", test_escape);
}
