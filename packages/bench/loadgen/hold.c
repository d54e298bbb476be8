/*
 * Hold: open N connections and keep them, for the idle-memory and fan-out scenarios. With
 * --send-one each sends one message and waits for its echo first (memory after one message).
 * Then lines on stdin drive it:
 *   expect K   answer {"armed":true}, count frames on all connections until K more arrived,
 *              answer with the time it took and this process's CPU use meanwhile
 *   quit (or end of input)   exit, closing everything
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadgen.h"

static char stdin_marker;

static void reply(const char *json) {
  fputs(json, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

int run_hold(const options_t *o) {
  int epfd = epoll_create1(0);
  conn_t *conns = calloc((size_t)o->connections, sizeof *conns);
  open_all(conns, o->connections, 256, &o->target, epfd);
  uint64_t total = 0;
  for (int i = 0; i < o->connections; i++) total += conns[i].parser.messages;

  static uint8_t buffer[1 << 16];
  struct epoll_event events[512];
  if (o->send_one) {
    size_t payload_length, frame_length;
    uint8_t *payload = load_payload(o, &payload_length);
    const uint8_t mask[4] = {0x5a, 0x17, 0xc3, 0x08};
    uint8_t *frame = masked_frame(payload, payload_length, o->binary ? 2 : 1, o->rsv1, mask, &frame_length);
    /* Small enough for any socket buffer: one write each. */
    for (int i = 0; i < o->connections; i++)
      if (write(conns[i].fd, frame, frame_length) != (ssize_t)frame_length) fail("write");
    uint64_t target = total + (uint64_t)o->connections;
    double deadline = now_seconds() + 60;
    while (total < target) {
      if (now_seconds() > deadline) fail("echoes of the one message did not all arrive in 60 s");
      int ready = epoll_wait(epfd, events, 512, 100);
      for (int i = 0; i < ready; i++) {
        conn_t *c = events[i].data.ptr;
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n == 0) fail("the server closed a connection");
        if (n > 0) total += parser_feed(&c->parser, buffer, (size_t)n, NULL, NULL);
      }
    }
  }

  struct epoll_event input = {.events = EPOLLIN, .data.ptr = &stdin_marker};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &input);
  char line[256];
  size_t line_fill = 0;
  printf("{\"ready\":true,\"connections\":%d}\n", o->connections);
  fflush(stdout);
  uint64_t target = 0;
  int armed = 0;
  double started = 0, cpu_start = 0, last_progress = 0;
  uint64_t from = 0;
  for (;;) {
    int ready = epoll_wait(epfd, events, 512, 100);
    if (armed && now_seconds() - last_progress > 30) {
      printf("{\"error\":\"no frame for 30 s\",\"frames\":%llu}\n", (unsigned long long)(total - from));
      fflush(stdout);
      armed = 0;
    }
    for (int i = 0; i < ready; i++) {
      if (events[i].data.ptr == &stdin_marker) {
        ssize_t n = read(0, line + line_fill, sizeof line - 1 - line_fill);
        if (n <= 0) return 0;
        line_fill += (size_t)n;
        line[line_fill] = 0;
        char *newline;
        while ((newline = strchr(line, '\n')) != NULL) {
          *newline = 0;
          if (!strncmp(line, "quit", 4)) return 0;
          if (!strncmp(line, "expect ", 7)) {
            from = total;
            target = total + strtoull(line + 7, NULL, 10);
            armed = 1;
            started = last_progress = now_seconds();
            cpu_start = cpu_seconds();
            reply("{\"armed\":true}");
          }
          size_t rest = line_fill - (size_t)(newline + 1 - line);
          memmove(line, newline + 1, rest + 1);
          line_fill = rest;
        }
        continue;
      }
      conn_t *c = events[i].data.ptr;
      ssize_t n = read(c->fd, buffer, sizeof buffer);
      if (n == 0 || (n < 0 && errno != EAGAIN)) fail("the server closed a connection");
      if (n > 0) {
        uint64_t got = parser_feed(&c->parser, buffer, (size_t)n, NULL, NULL);
        total += got;
        if (got > 0) last_progress = now_seconds();
      }
    }
    if (armed && total >= target) {
      double seconds = now_seconds() - started;
      double cpu = cpu_seconds() - cpu_start;
      printf("{\"mode\":\"hold\",\"messages\":%llu,\"seconds\":%.6f,\"rate\":%.1f,\"cpu\":%.4f}\n",
             (unsigned long long)(total - from), seconds, (total - from) / seconds, cpu / seconds);
      fflush(stdout);
      armed = 0;
    }
  }
}
