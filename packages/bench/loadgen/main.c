/*
 * loadgen <echo|storm|latency|hold> --port P [--host H] [--connections N] [--window W]
 *         [--size BYTES] [--binary] [--payload-file F] [--rsv1] [--header "Name: value"]
 *         [--duration S] [--warmup S] [--min-messages N] [--parallel N] [--rate MSG_PER_S] [--spin] [--text] [--send-one]
 * Prints one JSON object per result on stdout; progress and errors go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "loadgen.h"

uint8_t *load_payload(const options_t *o, size_t *length) {
  uint8_t *payload;
  if (o->payload_file != NULL) {
    FILE *file = fopen(o->payload_file, "rb");
    if (file == NULL) fail("payload file");
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    payload = malloc((size_t)size + 1);
    if (payload == NULL || fread(payload, 1, (size_t)size, file) != (size_t)size) fail("payload file read");
    fclose(file);
    *length = (size_t)size;
    return payload;
  }
  payload = malloc(o->size + 1);
  if (payload == NULL) fail("out of memory");
  /* Text is ASCII (valid UTF-8 for any validator); binary is varied bytes. */
  for (size_t i = 0; i < o->size; i++) payload[i] = o->binary ? (uint8_t)(i * 2654435761u >> 13) : 'x';
  *length = o->size;
  return payload;
}

static char header_line[1024];

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loadgen <echo|storm|latency|hold> --port P [options]\n");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  /* 10,000 connections need more descriptors than the common soft limit of 1,024. */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  options_t o = {.target = {.host = "127.0.0.1", .port = 0, .extra_header = ""},
                 .connections = 1, .window = 1, .size = 64, .duration = 2, .warmup = 0.5,
                 .parallel = 32, .rate = 20000};
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "--binary")) o.binary = 1;
    else if (!strcmp(a, "--rsv1")) o.rsv1 = 1;
    else if (!strcmp(a, "--send-one")) o.send_one = 1;
    else if (!strcmp(a, "--spin")) o.spin = 1;
    else if (!strcmp(a, "--text")) o.text = 1;
    else {
      i++;
      if (!strcmp(a, "--port")) o.target.port = atoi(v);
      else if (!strcmp(a, "--host")) o.target.host = v;
      else if (!strcmp(a, "--connections")) o.connections = atoi(v);
      else if (!strcmp(a, "--window")) o.window = atoi(v);
      else if (!strcmp(a, "--size")) o.size = (size_t)atoll(v);
      else if (!strcmp(a, "--payload-file")) o.payload_file = v;
      else if (!strcmp(a, "--duration")) o.duration = atof(v);
      else if (!strcmp(a, "--warmup")) o.warmup = atof(v);
      else if (!strcmp(a, "--parallel")) o.parallel = atoi(v);
      else if (!strcmp(a, "--rate")) o.rate = atof(v);
      else if (!strcmp(a, "--min-messages")) o.min_messages = (uint64_t)atoll(v);
      else if (!strcmp(a, "--header")) {
        snprintf(header_line, sizeof header_line, "%s\r\n", v);
        o.target.extra_header = header_line;
      } else {
        fprintf(stderr, "loadgen: unknown option %s\n", a);
        return 1;
      }
    }
  }
  if ((o.target.port <= 0 && strcmp(argv[1], "serve")) || o.connections <= 0 || o.window <= 0) {
    fprintf(stderr, "loadgen: --port, --connections and --window must be positive\n");
    return 1;
  }
  const char *mode = argv[1];
  if (!strcmp(mode, "echo")) return run_echo(&o);
  if (!strcmp(mode, "storm")) return run_storm(&o);
  if (!strcmp(mode, "latency")) return run_latency(&o);
  if (!strcmp(mode, "hold")) return run_hold(&o);
  if (!strcmp(mode, "serve")) return run_serve(&o);
  fprintf(stderr, "loadgen: unknown mode %s\n", mode);
  return 1;
}
