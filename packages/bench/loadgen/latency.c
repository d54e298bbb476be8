/*
 * Open-loop latency: messages leave at a fixed total rate, round robin over the connections,
 * whether or not earlier ones came back. Each payload starts with its scheduled send time, so
 * a late send counts against the server too (no coordinated omission).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loadgen.h"

typedef struct {
  uint64_t *samples;
  size_t count, capacity;
  uint64_t measure_from;
} recorder_t;

static recorder_t recorder;

static void on_echo(void *context, const uint8_t head[8]) {
  (void)context;
  uint64_t scheduled;
  memcpy(&scheduled, head, 8);
  if (scheduled < recorder.measure_from || recorder.count == recorder.capacity) return;
  recorder.samples[recorder.count++] = now_ns() - scheduled;
}

static void queue(conn_t *c, const uint8_t *frame, size_t length, size_t header, uint64_t scheduled) {
  if (c->out_fill + length > c->out_capacity) {
    c->out_capacity = (c->out_fill + length) * 2;
    c->out = realloc(c->out, c->out_capacity);
    if (c->out == NULL) fail("out of memory");
  }
  uint8_t *at = c->out + c->out_fill;
  memcpy(at, frame, length);
  const uint8_t *stamp = (const uint8_t *)&scheduled;
  for (int i = 0; i < 8; i++) at[header + i] = stamp[i] ^ c->mask[i & 3];
  c->out_fill += length;
}

static void flush(conn_t *c, int epfd) {
  size_t written = 0;
  while (written < c->out_fill) {
    ssize_t n = write(c->fd, c->out + written, c->out_fill - written);
    if (n < 0) {
      if (errno == EAGAIN) break;
      fail("write");
    }
    written += (size_t)n;
  }
  memmove(c->out, c->out + written, c->out_fill - written);
  c->out_fill -= written;
  int out = c->out_fill > 0;
  if (out != c->want_out) epoll_watch(epfd, c, out);
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int run_latency(const options_t *o) {
  size_t payload_length;
  uint8_t *payload = load_payload(o, &payload_length);
  if (payload_length < 8) fail("latency needs payloads of 8 bytes or more");
  int epfd = epoll_create1(0);
  conn_t *conns = calloc((size_t)o->connections, sizeof *conns);
  open_all(conns, o->connections, 64, &o->target, epfd);
  uint8_t **frames = calloc((size_t)o->connections, sizeof *frames);
  size_t frame_length = 0, header = frame_header_length(payload_length);
  for (int i = 0; i < o->connections; i++) {
    for (int k = 0; k < 4; k++) conns[i].mask[k] = (uint8_t)(i * 31 + k * 17 + 1);
    frames[i] = masked_frame(payload, payload_length, 2, 0, conns[i].mask, &frame_length);
  }
  recorder.capacity = (size_t)(o->rate * (o->duration + 1)) + 1024;
  recorder.samples = malloc(recorder.capacity * sizeof(uint64_t));

  uint64_t interval = (uint64_t)(1e9 / o->rate);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec spec = {.it_interval = {0, (long)interval}, .it_value = {0, (long)interval}};
  timerfd_settime(timer, 0, &spec, NULL);
  struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &timer_event);

  uint64_t base = now_ns();
  recorder.measure_from = base + (uint64_t)(o->warmup * 1e9);
  uint64_t stop_sending = recorder.measure_from + (uint64_t)(o->duration * 1e9);
  uint64_t drain_until = stop_sending + 500000000ull;
  uint64_t next = 0, sent = 0, sent_measured = 0;
  double cpu_start = -1;
  static uint8_t buffer[1 << 16];
  struct epoll_event events[256];
  for (;;) {
    uint64_t now = now_ns();
    if (cpu_start < 0 && now >= recorder.measure_from) cpu_start = cpu_seconds();
    if (now >= drain_until || (now >= stop_sending && recorder.count >= sent_measured)) break;
    int ready = epoll_wait(epfd, events, 256, 5);
    for (int i = 0; i < ready; i++) {
      conn_t *c = events[i].data.ptr;
      if (c == NULL) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0) continue;
        now = now_ns();
        while (base + next * interval <= now && base + next * interval < stop_sending) {
          uint64_t scheduled = base + next * interval;
          conn_t *to = &conns[next % (uint64_t)o->connections];
          queue(to, frames[next % (uint64_t)o->connections], frame_length, header, scheduled);
          flush(to, epfd);
          if (scheduled >= recorder.measure_from) sent_measured++;
          next++;
          sent++;
        }
        continue;
      }
      if (events[i].events & EPOLLIN) {
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n == 0) fail("the server closed a connection");
        if (n > 0) parser_feed(&c->parser, buffer, (size_t)n, on_echo, NULL);
      }
      if (c->out_fill > 0) flush(c, epfd);
    }
  }
  double cpu = cpu_seconds() - cpu_start;
  double seconds = (double)(now_ns() - recorder.measure_from) / 1e9;
  qsort(recorder.samples, recorder.count, sizeof(uint64_t), compare);
  size_t n = recorder.count;
#define PCT(q) (n ? recorder.samples[(size_t)((n - 1) * (q))] / 1000.0 : 0)
  printf("{\"mode\":\"latency\",\"messages\":%zu,\"sent\":%llu,\"seconds\":%.6f,\"p50\":%.1f,\"p99\":%.1f,"
         "\"p999\":%.1f,\"max\":%.1f,\"cpu\":%.4f,\"rate\":%.1f}\n",
         n, (unsigned long long)sent_measured, seconds, PCT(0.5), PCT(0.99), PCT(0.999), PCT(1.0), cpu / seconds,
         o->rate);
  return 0;
}
