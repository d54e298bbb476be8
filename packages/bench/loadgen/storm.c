/*
 * Handshake storm: `parallel` slots, each connects, upgrades, reads the 101, sends a close
 * frame, waits for the server's close frame and its end of the stream, and starts again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadgen.h"

static uint8_t *close_frame;
static size_t close_length;

static void begin(conn_t *c, const target_t *t, int epfd) {
  memset(c, 0, sizeof *c);
  c->fd = tcp_connect(t);
  if (c->fd < 0) fail("connect");
  c->state = C_CONNECTING;
  struct epoll_event event = {.events = EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &event) < 0) fail("epoll_ctl");
}

int run_storm(const options_t *o) {
  const uint8_t code[2] = {0x03, 0xe8}; /* 1000 */
  const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
  close_frame = masked_frame(code, 2, 8, 0, mask, &close_length);
  int epfd = epoll_create1(0);
  conn_t *slots = calloc((size_t)o->parallel, sizeof *slots);
  for (int i = 0; i < o->parallel; i++) begin(&slots[i], &o->target, epfd);

  static uint8_t buffer[1 << 16];
  struct epoll_event events[256];
  double measure_from = now_seconds() + o->warmup, end = measure_from + o->duration;
  int measuring = 0;
  uint64_t done = 0, failed = 0, at_start = 0;
  double cpu_start = 0;
  for (;;) {
    double now = now_seconds();
    if (!measuring && now >= measure_from) {
      measuring = 1;
      at_start = done;
      cpu_start = cpu_seconds();
      measure_from = now;
      end = now + o->duration;
      announce_window();
    }
    /* Slow rows (16 MiB on a busy machine) run on until a few messages make a figure. */
    if (now >= end && (done - at_start >= o->min_messages || now >= end + 4 * o->duration)) break;
    int ready = epoll_wait(epfd, events, 256, 5);
    for (int i = 0; i < ready; i++) {
      conn_t *c = events[i].data.ptr;
      int finished = 0, broken = 0;
      if (c->state == C_CONNECTING || c->state == C_UPGRADING) {
        int step = handshake_step(c, &o->target, epfd, events[i].events);
        if (step < 0) broken = 1;
        if (step > 0) {
          if (write(c->fd, close_frame, close_length) != (ssize_t)close_length) broken = 1;
          c->state = C_CLOSING;
        }
      } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n > 0) parser_feed(&c->parser, buffer, (size_t)n, NULL, NULL);
        else if (n == 0) finished = c->parser.closed, broken = !c->parser.closed;
        else if (errno != EAGAIN) finished = c->parser.closed, broken = !c->parser.closed;
      }
      if (finished || broken) {
        close(c->fd); /* closing also removes it from epoll */
        if (finished) done++;
        else failed++;
        begin(c, &o->target, epfd);
      }
    }
  }
  double seconds = now_seconds() - measure_from;
  double cpu = cpu_seconds() - cpu_start;
  uint64_t handshakes = done - at_start;
  printf("{\"mode\":\"storm\",\"messages\":%llu,\"seconds\":%.6f,\"rate\":%.1f,\"failed\":%llu,\"cpu\":%.4f,"
         "\"parallel\":%d}\n",
         (unsigned long long)handshakes, seconds, handshakes / seconds, (unsigned long long)failed, cpu / seconds,
         o->parallel);
  fflush(stdout);
  return 0;
}
