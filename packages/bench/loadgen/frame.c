/* Frames: building masked client frames once, and counting frames as they stream in. */
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

size_t frame_header_length(size_t payload_length) {
  return (payload_length < 126 ? 2 : payload_length < 65536 ? 4 : 10) + 4;
}

uint8_t *masked_frame(const uint8_t *payload, size_t length, int opcode, int rsv1, const uint8_t mask[4],
                      size_t *frame_length) {
  size_t header = frame_header_length(length);
  uint8_t *frame = malloc(header + length);
  if (frame == NULL) fail("out of memory");
  frame[0] = (uint8_t)(0x80 | (rsv1 ? 0x40 : 0) | opcode);
  if (length < 126) {
    frame[1] = (uint8_t)(0x80 | length);
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame[2] = (uint8_t)(length >> 8);
    frame[3] = (uint8_t)length;
  } else {
    frame[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++) frame[2 + i] = (uint8_t)((uint64_t)length >> (56 - 8 * i));
  }
  memcpy(frame + header - 4, mask, 4);
  for (size_t i = 0; i < length; i++) frame[header + i] = payload[i] ^ mask[i & 3];
  *frame_length = header + length;
  return frame;
}

/* Bytes the header needs once its first two are known: length field and mask key. */
static int header_needed(const uint8_t *h) {
  int short_length = h[1] & 0x7f;
  int needed = short_length < 126 ? 2 : short_length == 126 ? 4 : 10;
  return needed + ((h[1] & 0x80) ? 4 : 0);
}

static void frame_done(parser_t *p, on_message_fn on_message, void *context, uint64_t *completed) {
  if (p->opcode >= 8) {
    if (p->opcode == 8) p->closed = 1;
    return;
  }
  if (!p->fin) return;
  p->messages++;
  (*completed)++;
  if (on_message != NULL) on_message(context, p->head);
}

static void take_head(parser_t *p, const uint8_t *data, size_t take) {
  for (size_t i = 0; i < take && p->position + i < 8; i++) {
    uint64_t at = p->position + i;
    p->head[at] = p->masked ? data[i] ^ p->mask[at & 3] : data[i];
  }
}

uint64_t parser_feed(parser_t *p, const uint8_t *data, size_t length, on_message_fn on_message, void *context) {
  uint64_t completed = 0;
  size_t i = 0;
  while (i < length) {
    if (p->remaining > 0) {
      size_t take = length - i < p->remaining ? length - i : (size_t)p->remaining;
      if (p->position < 8) take_head(p, data + i, take);
      p->position += take;
      p->remaining -= take;
      i += take;
      if (p->remaining == 0) frame_done(p, on_message, context, &completed);
      continue;
    }
    p->header[p->header_fill++] = data[i++];
    if (p->header_fill < 2 || p->header_fill < header_needed(p->header)) continue;
    const uint8_t *h = p->header;
    int short_length = h[1] & 0x7f;
    uint64_t payload = short_length;
    int at = 2;
    if (short_length == 126) {
      payload = ((uint64_t)h[2] << 8) | h[3];
      at = 4;
    } else if (short_length == 127) {
      payload = 0;
      for (int k = 0; k < 8; k++) payload = (payload << 8) | h[2 + k];
      at = 10;
    }
    p->masked = (h[1] & 0x80) != 0;
    if (p->masked) memcpy(p->mask, h + at, 4);
    p->fin = (h[0] & 0x80) != 0;
    /* Continuations (0) are data: only the control/data distinction matters here. */
    p->opcode = (h[0] & 0x0f) == 0 ? 1 : h[0] & 0x0f;
    p->header_fill = 0;
    p->position = 0;
    memset(p->head, 0, 8);
    p->remaining = payload;
    if (payload == 0) frame_done(p, on_message, context, &completed);
  }
  return completed;
}
