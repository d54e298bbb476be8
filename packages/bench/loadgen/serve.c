/*
 * serve: a C echo server, the floor of the latency row. It answers the upgrade with a canned
 * 101 and copies every byte back, as the raw `net` server does, with no event loop or garbage
 * collector of its own: what is left of a round trip is the kernel's loopback TCP, the two
 * processes' wake-ups and the generator. Not a row of the suite; a yardstick for the generator.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

#define RESPONSE                                                                                   \
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"              \
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

typedef struct {
  int fd;
  int upgraded;
  int head_fill;
  char head[2048];
} peer_t;

static void echo_back(peer_t *p, const uint8_t *data, size_t length) {
  /* The reply to one request is small: a full send buffer means a generator that stopped reading. */
  while (length > 0) {
    ssize_t n = write(p->fd, data, length);
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return;
    }
    data += n;
    length -= (size_t)n;
  }
}

int run_serve(const options_t *o) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)o->target.port);
  inet_pton(AF_INET, o->target.host, &address.sin_addr);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 1024) < 0) fail("listen");
  socklen_t size = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &size);
  printf("{\"mode\":\"serve\",\"port\":%d}\n", ntohs(address.sin_port));
  fflush(stdout);
  int epfd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
  static uint8_t buffer[1 << 16];
  struct epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(epfd, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      peer_t *p = events[i].data.ptr;
      if (p == NULL) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        p = calloc(1, sizeof *p);
        p->fd = fd;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = p};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
        continue;
      }
      ssize_t n = read(p->fd, buffer, sizeof buffer);
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) continue;
        close(p->fd);
        free(p);
        continue;
      }
      if (p->upgraded) {
        echo_back(p, buffer, (size_t)n);
        continue;
      }
      size_t take = (size_t)n < sizeof p->head - 1 - p->head_fill ? (size_t)n : sizeof p->head - 1 - p->head_fill;
      memcpy(p->head + p->head_fill, buffer, take);
      p->head_fill += (int)take;
      p->head[p->head_fill] = 0;
      char *end = strstr(p->head, "\r\n\r\n");
      if (end == NULL) continue;
      p->upgraded = 1;
      echo_back(p, (const uint8_t *)RESPONSE, sizeof RESPONSE - 1);
      size_t rest = (size_t)(p->head + p->head_fill - (end + 4));
      if (rest > 0) echo_back(p, (const uint8_t *)end + 4, rest);
    }
  }
}
