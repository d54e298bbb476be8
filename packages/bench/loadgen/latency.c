/*
 * Open-loop latency: messages leave at a fixed total rate, round robin over the connections,
 * whether or not earlier ones came back. Each payload starts with its scheduled send time, so
 * a late send counts against the server too (no coordinated omission).
 *
 * The clock that paces the sends is the generator's own floor. A timerfd wakes the thread up to
 * 20,000 times a second, and each wake-up of an idle vCPU (a halt and a VM exit on this
 * Firecracker guest) can come tens to hundreds of microseconds late; a late wake-up stamps the
 * messages it sends late too. `--spin` (the suite's default) polls instead: epoll_wait with no
 * timeout and the clock, so the generator never sleeps and sends within a microsecond or two of
 * the schedule. What the generator adds is reported apart: `lag` (written - scheduled) and
 * `p99_written` (reply - written), next to the row's `p99` (reply - scheduled).
 *
 * Frames are binary, the stamp 8 raw bytes; with `--text` they are text and the stamp is the
 * time since the start in 8 ASCII characters of 6 bits each (valid UTF-8 for any validator).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loadgen.h"

typedef struct {
  uint64_t *samples;      /* reply - scheduled, per measured message: the row's figure */
  uint64_t *from_written; /* reply - written: without the generator's own lateness */
  uint64_t *written_at;   /* per message number: when its write was made */
  uint64_t *lag;          /* written - scheduled, per measured message */
  size_t count, capacity, lag_count;
  uint64_t measure_from, base, interval, messages;
} recorder_t;

static recorder_t recorder;
static int text_stamps;

static const char DIGITS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void encode_stamp(uint64_t scheduled, uint8_t out[8]) {
  if (!text_stamps) {
    memcpy(out, &scheduled, 8);
    return;
  }
  uint64_t since = scheduled - recorder.base;
  for (int i = 7; i >= 0; i--, since >>= 6) out[i] = (uint8_t)DIGITS[since & 63];
}

static uint64_t decode_stamp(const uint8_t in[8]) {
  uint64_t value = 0;
  if (!text_stamps) {
    memcpy(&value, in, 8);
    return value;
  }
  for (int i = 0; i < 8; i++) {
    const char *at = strchr(DIGITS, in[i]);
    value = (value << 6) | (uint64_t)(at ? at - DIGITS : 0);
  }
  return recorder.base + value;
}

static void on_echo(void *context, const uint8_t head[8]) {
  (void)context;
  uint64_t scheduled = decode_stamp(head);
  if (scheduled < recorder.measure_from || recorder.count == recorder.capacity) return;
  uint64_t now = now_ns();
  /* A stamp is base + n * interval: n finds the message's write time without a second stamp. */
  uint64_t n = (scheduled - recorder.base) / recorder.interval;
  uint64_t written = n < recorder.messages ? recorder.written_at[n] : scheduled;
  recorder.samples[recorder.count] = now - scheduled;
  recorder.from_written[recorder.count] = now - written;
  recorder.count++;
}

static void queue(conn_t *c, const uint8_t *frame, size_t length, size_t header, uint64_t scheduled) {
  if (c->out_fill + length > c->out_capacity) {
    c->out_capacity = (c->out_fill + length) * 2;
    c->out = realloc(c->out, c->out_capacity);
    if (c->out == NULL) fail("out of memory");
  }
  uint8_t *at = c->out + c->out_fill;
  memcpy(at, frame, length);
  uint8_t stamp[8];
  encode_stamp(scheduled, stamp);
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

static double percentile(uint64_t *values, size_t n, double q) {
  return n ? values[(size_t)((double)(n - 1) * q)] / 1000.0 : 0;
}

int run_latency(const options_t *o) {
  size_t payload_length;
  uint8_t *payload = load_payload(o, &payload_length);
  if (payload_length < 8) fail("latency needs payloads of 8 bytes or more");
  text_stamps = o->text;
  /* Timers of this thread (epoll_wait's timeout) fire when asked, not up to 50 us later. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int epfd = epoll_create1(0);
  conn_t *conns = calloc((size_t)o->connections, sizeof *conns);
  open_all(conns, o->connections, 64, &o->target, epfd);
  uint8_t **frames = calloc((size_t)o->connections, sizeof *frames);
  size_t frame_length = 0, header = frame_header_length(payload_length);
  for (int i = 0; i < o->connections; i++) {
    for (int k = 0; k < 4; k++) conns[i].mask[k] = (uint8_t)(i * 31 + k * 17 + 1);
    frames[i] = masked_frame(payload, payload_length, o->text ? 1 : 2, 0, conns[i].mask, &frame_length);
  }
  recorder.capacity = (size_t)(o->rate * (o->duration + 1)) + 1024;
  recorder.samples = malloc(recorder.capacity * sizeof(uint64_t));
  recorder.from_written = malloc(recorder.capacity * sizeof(uint64_t));
  recorder.lag = malloc(recorder.capacity * sizeof(uint64_t));
  recorder.messages = (uint64_t)(o->rate * (o->warmup + o->duration)) + 2;
  recorder.written_at = calloc(recorder.messages, sizeof(uint64_t));

  uint64_t interval = (uint64_t)(1e9 / o->rate);
  int timer = -1;
  if (!o->spin) {
    timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec spec = {.it_interval = {0, (long)interval}, .it_value = {0, (long)interval}};
    timerfd_settime(timer, 0, &spec, NULL);
    struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &timer_event);
  }

  uint64_t base = now_ns();
  recorder.base = base;
  recorder.interval = interval;
  recorder.measure_from = base + (uint64_t)(o->warmup * 1e9);
  uint64_t stop_sending = recorder.measure_from + (uint64_t)(o->duration * 1e9);
  uint64_t drain_until = stop_sending + 500000000ull;
  uint64_t next = 0, sent_measured = 0;
  /* Spinning, the CPU that counts is the time spent on sends and echoes, not on polling. */
  uint64_t busy_ns = 0;
  double cpu_start = -1;
  static uint8_t buffer[1 << 16];
  struct epoll_event events[256];
  for (;;) {
    uint64_t now = now_ns();
    if (cpu_start < 0 && now >= recorder.measure_from) cpu_start = cpu_seconds();
    if (now >= drain_until || (now >= stop_sending && recorder.count >= sent_measured)) break;
    /* Every message due by now goes, each stamped with its own scheduled time. */
    int due = base + next * interval <= now && base + next * interval < stop_sending;
    if (due && timer >= 0) {
      uint64_t expirations;
      due = read(timer, &expirations, sizeof expirations) > 0;
    }
    uint64_t work_from = now;
    while (due && base + next * interval <= now && base + next * interval < stop_sending) {
      uint64_t scheduled = base + next * interval;
      conn_t *to = &conns[next % (uint64_t)o->connections];
      queue(to, frames[next % (uint64_t)o->connections], frame_length, header, scheduled);
      flush(to, epfd);
      uint64_t written = now_ns();
      if (next < recorder.messages) recorder.written_at[next] = written;
      if (scheduled >= recorder.measure_from) {
        sent_measured++;
        if (recorder.lag_count < recorder.capacity) recorder.lag[recorder.lag_count++] = written - scheduled;
      }
      next++;
    }
    int ready = epoll_wait(epfd, events, 256, o->spin ? 0 : 5);
    for (int i = 0; i < ready; i++) {
      conn_t *c = events[i].data.ptr;
      if (c == NULL) continue; /* the timer: read above, when a message is due */
      if (events[i].events & EPOLLIN) {
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n == 0) fail("the server closed a connection");
        if (n > 0) parser_feed(&c->parser, buffer, (size_t)n, on_echo, NULL);
      }
      if (c->out_fill > 0) flush(c, epfd);
    }
    if (due || ready > 0) busy_ns += now_ns() - work_from;
  }
  double seconds = (double)(now_ns() - recorder.measure_from) / 1e9;
  double cpu = o->spin ? (double)busy_ns / 1e9 : cpu_seconds() - cpu_start;
  size_t n = recorder.count, lags = recorder.lag_count;
  qsort(recorder.samples, n, sizeof(uint64_t), compare);
  qsort(recorder.from_written, n, sizeof(uint64_t), compare);
  qsort(recorder.lag, lags, sizeof(uint64_t), compare);
  uint64_t *s = recorder.samples;
  printf("{\"mode\":\"latency\",\"messages\":%zu,\"sent\":%llu,\"seconds\":%.6f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
         "\"p999\":%.1f,\"max\":%.1f,\"p50_written\":%.1f,\"p99_written\":%.1f,\"lag_p50\":%.1f,\"lag_p99\":%.1f,"
         "\"lag_max\":%.1f,\"spin\":%s,\"cpu\":%.4f,\"rate\":%.1f}\n",
         n, (unsigned long long)sent_measured, seconds, percentile(s, n, 0.5), percentile(s, n, 0.9),
         percentile(s, n, 0.99), percentile(s, n, 0.999), percentile(s, n, 1.0),
         percentile(recorder.from_written, n, 0.5), percentile(recorder.from_written, n, 0.99),
         percentile(recorder.lag, lags, 0.5), percentile(recorder.lag, lags, 0.99), percentile(recorder.lag, lags, 1.0),
         o->spin ? "true" : "false", cpu / seconds, o->rate);
  return 0;
}
