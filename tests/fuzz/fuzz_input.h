/* The fuzz input as a file, for readers that take a path or a descriptor: an
 * anonymous in-memory file, named through /proc/self/fd. */
#ifndef CALM_FUZZ_INPUT_H
#define CALM_FUZZ_INPUT_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns a descriptor at offset 0 holding `data`; aborts if none can be made. */
static inline int fuzz_input_fd(const uint8_t *data, size_t size) {
  int fd = memfd_create("calm-fuzz", MFD_CLOEXEC);
  if (fd < 0) abort();
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0) abort();
    off += (size_t)n;
  }
  if (lseek(fd, 0, SEEK_SET) != 0) abort();
  return fd;
}

#endif
