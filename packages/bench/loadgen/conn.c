/* Connections: nonblocking connect, the upgrade request, reading the 101; clocks and CPU. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

/* RFC 6455's sample key: every server answers it, the raw ceiling with a canned 101. */
#define FIXED_KEY "dGhlIHNhbXBsZSBub25jZQ=="

void fail(const char *message) {
  fprintf(stderr, "loadgen: %s (%s)\n", message, strerror(errno));
  exit(2);
}

double now_seconds(void) { return (double)now_ns() / 1e9; }

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

void announce_window(void) {
  printf("{\"window\":\"open\"}\n");
  fflush(stdout);
}

int tcp_connect(const target_t *t) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)t->port);
  inet_pton(AF_INET, t->host, &address.sin_addr);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

size_t upgrade_request(const target_t *t, char *buffer, size_t capacity) {
  int n = snprintf(buffer, capacity,
                   "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " FIXED_KEY "\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                   t->host, t->port, t->extra_header);
  return (size_t)n;
}

void epoll_watch(int epfd, conn_t *c, int out) {
  struct epoll_event event = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &event) < 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &event) < 0)
    fail("epoll_ctl");
  c->want_out = out;
}

int handshake_step(conn_t *c, const target_t *t, int epfd, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) return -1;
  if (c->state == C_CONNECTING && (events & EPOLLOUT)) {
    char request[1024];
    size_t length = upgrade_request(t, request, sizeof request);
    /* A fresh socket's send buffer always takes a request this small. */
    if (write(c->fd, request, length) != (ssize_t)length) return -1;
    c->state = C_UPGRADING;
    epoll_watch(epfd, c, 0);
    return 0;
  }
  if (c->state != C_UPGRADING || !(events & EPOLLIN)) return 0;
  ssize_t n = read(c->fd, c->response + c->response_fill, sizeof c->response - 1 - c->response_fill);
  if (n <= 0) return n < 0 && errno == EAGAIN ? 0 : -1;
  c->response_fill += (int)n;
  c->response[c->response_fill] = 0;
  char *end = strstr(c->response, "\r\n\r\n");
  if (end == NULL) return c->response_fill < (int)sizeof c->response - 1 ? 0 : -1;
  if (strncmp(c->response, "HTTP/1.1 101", 12) != 0) {
    fprintf(stderr, "loadgen: upgrade refused: %.*s\n", (int)(strchr(c->response, '\r') - c->response),
            c->response);
    return -1;
  }
  c->state = C_OPEN;
  size_t head = (size_t)(end + 4 - c->response);
  if ((size_t)c->response_fill > head)
    parser_feed(&c->parser, (uint8_t *)c->response + head, (size_t)c->response_fill - head, NULL, NULL);
  return 1;
}

static void start(conn_t *c, const target_t *t, int epfd) {
  memset(c, 0, sizeof *c);
  c->fd = tcp_connect(t);
  if (c->fd < 0) fail("connect");
  c->state = C_CONNECTING;
  struct epoll_event event = {.events = EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &event) < 0) fail("epoll_ctl");
}

int open_all(conn_t *conns, int n, int parallel, const target_t *t, int epfd) {
  int started = 0, opened = 0, pending = 0;
  struct epoll_event events[256];
  /* A server that stops accepting for 30 s is stuck, not slow (a busy machine is only slow). */
  double deadline = now_seconds() + 30;
  while (opened < n) {
    while (pending < parallel && started < n) {
      start(&conns[started++], t, epfd);
      pending++;
    }
    int ready = epoll_wait(epfd, events, 256, 1000);
    if (now_seconds() > deadline) {
      fprintf(stderr, "loadgen: %d of %d connections opened, none in the last 30 s\n", opened, n);
      exit(3);
    }
    for (int i = 0; i < ready; i++) {
      conn_t *c = events[i].data.ptr;
      int step = handshake_step(c, t, epfd, events[i].events);
      if (step < 0) {
        fprintf(stderr, "loadgen: a handshake failed after %d opened\n", opened);
        exit(3);
      }
      if (step > 0) {
        opened++;
        pending--;
        deadline = now_seconds() + 30;
      }
    }
  }
  return opened;
}
