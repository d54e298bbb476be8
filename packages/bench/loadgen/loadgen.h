/*
 * loadgen: the benchmark suite's load generator. C, one thread, epoll, so that on its own core
 * it outruns any Node server on the other one, and says so when it does not (its CPU use).
 *
 *   run.js --spawn--> loadgen <mode> [options]      one JSON line of results on stdout
 *
 * Modes: echo (pipelined window per connection), storm (handshake + close, N at a time),
 * latency (open loop at a fixed rate), hold (open N and keep them; commands on stdin).
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#define MAX_HEADER 14

/* Reads server frames (and the raw ceiling's masked echoes of ours) without copying payloads. */
typedef struct {
  uint8_t header[MAX_HEADER];
  int header_fill;
  uint64_t remaining;    /* payload bytes of the current frame still to come */
  uint64_t position;     /* payload bytes of the current frame seen so far */
  uint8_t mask[4];
  int masked;
  int fin;
  int opcode;
  uint8_t head[8];       /* the first 8 payload bytes, unmasked: latency timestamps */
  uint64_t messages;     /* complete data messages (FIN data or continuation frames) */
  int closed;            /* a close frame arrived */
} parser_t;

typedef void (*on_message_fn)(void *context, const uint8_t head[8]);

/* Feeds bytes; calls on_message (if set) per complete data message. Returns messages completed. */
uint64_t parser_feed(parser_t *p, const uint8_t *data, size_t length, on_message_fn on_message, void *context);

/* A masked client frame: header, mask key, masked payload. Caller frees. */
uint8_t *masked_frame(const uint8_t *payload, size_t length, int opcode, int rsv1, const uint8_t mask[4],
                      size_t *frame_length);
size_t frame_header_length(size_t payload_length); /* header + mask key */

typedef struct {
  const char *host;
  int port;
  const char *extra_header; /* e.g. "Sec-WebSocket-Extensions: permessage-deflate\r\n" or "" */
} target_t;

/* Connection setup shared by every mode: nonblocking connect, upgrade request, 101. */
enum { C_CONNECTING, C_UPGRADING, C_OPEN, C_CLOSING, C_DONE, C_FAILED };

typedef struct {
  int fd;
  int state;
  char response[2048];
  int response_fill;
  parser_t parser;
  uint64_t sent;       /* messages written */
  uint64_t owed;       /* bytes queued but not yet written (echo: periodic stream) */
  uint64_t phase;      /* echo: offset inside the repeated frame */
  uint8_t *out;        /* latency: bytes waiting to be written */
  size_t out_fill, out_capacity;
  uint8_t mask[4];
  int want_out;        /* EPOLLOUT registered */
} conn_t;

int tcp_connect(const target_t *t);
/* Upgrade request with the fixed key (the raw ceiling answers it without computing anything). */
size_t upgrade_request(const target_t *t, char *buffer, size_t capacity);
/*
 * Advances a connection's handshake after an epoll event. Returns 1 when it became open (any
 * bytes after the 101 are fed to its parser), 0 while pending, -1 on failure.
 */
int handshake_step(conn_t *c, const target_t *t, int epfd, uint32_t events);
/* Opens n connections, at most `parallel` handshakes at once; returns how many opened. */
int open_all(conn_t *conns, int n, int parallel, const target_t *t, int epfd);

void epoll_watch(int epfd, conn_t *c, int out);
double now_seconds(void);
uint64_t now_ns(void);
double cpu_seconds(void); /* user + system of this process */
/*
 * A line {"window":"open"} on stdout, flushed, as the measured window opens: run.js reads the
 * server's CPU time then and again at the result line, which is flushed as soon as it is printed.
 */
void announce_window(void);
void fail(const char *message);

/* Every mode: options parsed by main.c. */
typedef struct {
  target_t target;
  int connections;
  int window;
  size_t size;
  int binary;
  int rsv1;
  const char *payload_file;
  double duration;
  double warmup;
  int parallel;
  double rate;
  int send_one;
  int spin;              /* latency: poll the clock instead of sleeping on a timerfd */
  int text;              /* latency: text frames, ASCII stamps */
  uint64_t min_messages; /* echo, storm: run past the duration (up to 5x) until this many */
} options_t;

int run_echo(const options_t *o);
int run_storm(const options_t *o);
int run_latency(const options_t *o);
int run_hold(const options_t *o);
int run_serve(const options_t *o); /* a C echo server: the floor of the latency row */

/* The payload of the messages sent: --payload-file's bytes, else `size` bytes of 'x' or random. */
uint8_t *load_payload(const options_t *o, size_t *length);

#endif
