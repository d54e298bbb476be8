/*
 * Echo: every connection keeps `window` messages in flight. Frames are identical, so what a
 * connection still owes the server is a count of bytes of one periodic stream, written from a
 * buffer of `window` copies of the frame shared by all connections: no per-message work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadgen.h"

static uint8_t *batch;
static size_t batch_length, frame_length;

static void flush(conn_t *c, int epfd) {
  while (c->owed > 0) {
    size_t room = batch_length - c->phase;
    size_t length = c->owed < room ? (size_t)c->owed : room;
    ssize_t n = write(c->fd, batch + c->phase, length);
    if (n < 0) {
      if (errno == EAGAIN) break;
      fail("write");
    }
    c->owed -= (uint64_t)n;
    c->phase = (c->phase + (uint64_t)n) % frame_length;
  }
  int out = c->owed > 0;
  if (out != c->want_out) epoll_watch(epfd, c, out);
}

int run_echo(const options_t *o) {
  size_t payload_length;
  uint8_t *payload = load_payload(o, &payload_length);
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t *frame = masked_frame(payload, payload_length, o->binary ? 2 : 1, o->rsv1, mask, &frame_length);
  batch_length = frame_length * (size_t)o->window;
  batch = malloc(batch_length);
  if (batch == NULL) fail("out of memory");
  for (int i = 0; i < o->window; i++) memcpy(batch + frame_length * (size_t)i, frame, frame_length);

  int epfd = epoll_create1(0);
  conn_t *conns = calloc((size_t)o->connections, sizeof *conns);
  open_all(conns, o->connections, 64, &o->target, epfd);
  for (int i = 0; i < o->connections; i++) {
    conns[i].owed = batch_length;
    flush(&conns[i], epfd);
  }

  static uint8_t buffer[1 << 18];
  struct epoll_event events[512];
  double started = now_seconds();
  double measure_from = started + o->warmup, end = measure_from + o->duration;
  int measuring = 0;
  uint64_t total = 0, at_start = 0;
  double cpu_start = 0;
  for (;;) {
    double now = now_seconds();
    if (!measuring && now >= measure_from) {
      measuring = 1;
      at_start = total;
      cpu_start = cpu_seconds();
      measure_from = now;
      end = now + o->duration;
      announce_window();
    }
    /* Slow rows (16 MiB on a busy machine) run on until a few messages make a figure. */
    if (now >= end && (total - at_start >= o->min_messages || now >= end + 4 * o->duration)) break;
    int ready = epoll_wait(epfd, events, 512, 5);
    for (int i = 0; i < ready; i++) {
      conn_t *c = events[i].data.ptr;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        fprintf(stderr, "loadgen: a connection failed\n");
        return 3;
      }
      if (events[i].events & EPOLLIN) {
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
          fprintf(stderr, "loadgen: the server closed a connection\n");
          return 3;
        }
        if (n > 0) {
          uint64_t echoed = parser_feed(&c->parser, buffer, (size_t)n, NULL, NULL);
          total += echoed;
          c->owed += echoed * frame_length;
        }
      }
      flush(c, epfd);
    }
  }
  double seconds = now_seconds() - measure_from;
  double cpu = cpu_seconds() - cpu_start;
  uint64_t messages = total - at_start;
  printf("{\"mode\":\"echo\",\"messages\":%llu,\"seconds\":%.6f,\"rate\":%.1f,\"bytesPerSecond\":%.1f,"
         "\"cpu\":%.4f,\"connections\":%d,\"window\":%d,\"frameBytes\":%zu}\n",
         (unsigned long long)messages, seconds, messages / seconds, messages * (double)payload_length / seconds,
         cpu / seconds, o->connections, o->window, frame_length);
  fflush(stdout);
  free(payload);
  free(frame);
  return 0;
}
