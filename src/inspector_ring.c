/*
 * inspector_ring.c: the inspector's bounded ring of entries (see inspector.h, "the ring").
 *
 * The last --inspector-history entries, never more than WG_LIMIT_INSPECTOR_BYTES together; entry
 * texts live in arena blocks of WG_LIMIT_INSPECTOR_ARENA_BLOCK (a bigger entry gets its own), so
 * recording costs no malloc per entry, and the oldest entries go first when either bound is hit.
 */
#include "inspector.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"

/* ---- the ring -------------------------------------------------------------------------------- */

/* Entry texts copied in by wg_inspector_ring_push_copy live in arena blocks: entries are dropped in
 * the order they were added, so blocks are too - a block is freed when its last entry goes. One
 * allocation per WG_LIMIT_INSPECTOR_ARENA_BLOCK bytes of entries instead of one per entry. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    size_t live; /* entries still in this block */
    char data[];
} arena_block_t;

struct wg_inspector_ring {
    wg_inspector_entry_t *slots;
    size_t capacity;
    size_t head; /* slot of the oldest entry */
    size_t count;
    size_t bytes;
    size_t max_bytes;
    uint64_t oldest_seq;
    arena_block_t *first_block, *last_block; /* oldest and newest */
};

wg_inspector_ring_t *wg_inspector_ring_new(size_t capacity, size_t max_bytes)
{
    if (capacity == 0)
        capacity = 1;
    wg_inspector_ring_t *ring = calloc(1, sizeof(*ring));
    if (ring == NULL)
        abort();
    ring->slots = calloc(capacity, sizeof(*ring->slots));
    if (ring->slots == NULL)
        abort();
    ring->capacity = capacity;
    ring->max_bytes = max_bytes;
    ring->oldest_seq = 1;
    return ring;
}

void wg_inspector_ring_free(wg_inspector_ring_t *ring)
{
    if (ring == NULL)
        return;
    for (size_t i = 0; i < ring->count; i++) {
        wg_inspector_entry_t *e = &ring->slots[(ring->head + i) % ring->capacity];
        if (e->block == NULL)
            free(e->text);
    }
    for (arena_block_t *b = ring->first_block, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(ring->slots);
    free(ring);
}

static void release_block(wg_inspector_ring_t *ring, arena_block_t *block)
{
    if (--block->live > 0 || block == ring->last_block)
        return;
    /* FIFO: the block whose last entry just went is the oldest */
    ring->first_block = block->next;
    free(block);
}

static void drop_oldest(wg_inspector_ring_t *ring)
{
    wg_inspector_entry_t *e = &ring->slots[ring->head];
    ring->bytes -= e->len;
    if (e->block != NULL)
        release_block(ring, e->block);
    else
        free(e->text);
    memset(e, 0, sizeof(*e));
    ring->head = (ring->head + 1) % ring->capacity;
    ring->count--;
    ring->oldest_seq++;
}

static uint64_t ring_place(wg_inspector_ring_t *ring, char *text, size_t len, arena_block_t *block)
{
    uint64_t seq = ring->oldest_seq + ring->count;
    wg_inspector_entry_t *e = &ring->slots[(ring->head + ring->count) % ring->capacity];
    e->seq = seq;
    e->text = text;
    e->len = len;
    e->block = block;
    ring->count++;
    ring->bytes += len;
    return seq;
}

static void make_room(wg_inspector_ring_t *ring, size_t len)
{
    while (ring->count > 0 && (ring->count == ring->capacity || ring->bytes + len > ring->max_bytes))
        drop_oldest(ring);
}

uint64_t wg_inspector_ring_push(wg_inspector_ring_t *ring, char *text, size_t len)
{
    make_room(ring, len);
    return ring_place(ring, text, len, NULL);
}

uint64_t wg_inspector_ring_push_copy(wg_inspector_ring_t *ring, const char *text, size_t len)
{
    make_room(ring, len);
    if (len + 1 > WG_LIMIT_INSPECTOR_ARENA_BLOCK / 4) {
        /* big entries are allocated on their own: a block is then never more than a quarter empty */
        char *own = malloc(len + 1);
        if (own == NULL)
            abort();
        memcpy(own, text, len);
        own[len] = '\0';
        return ring_place(ring, own, len, NULL);
    }
    arena_block_t *b = ring->last_block;
    if (b == NULL || b->cap - b->used < len + 1) {
        size_t cap = WG_LIMIT_INSPECTOR_ARENA_BLOCK;
        arena_block_t *nb = malloc(sizeof(*nb) + cap);
        if (nb == NULL)
            abort();
        nb->next = NULL;
        nb->used = 0;
        nb->cap = cap;
        nb->live = 0;
        if (b == NULL) {
            ring->first_block = nb;
        } else {
            b->next = nb;
            if (b->live == 0) { /* every entry of the old newest block is gone already */
                ring->first_block = nb;
                free(b);
            }
        }
        ring->last_block = b = nb;
    }
    char *at = b->data + b->used;
    memcpy(at, text, len);
    at[len] = '\0';
    b->used += len + 1;
    b->live++;
    return ring_place(ring, at, len, b);
}

const wg_inspector_entry_t *wg_inspector_ring_get(const wg_inspector_ring_t *ring, uint64_t seq)
{
    if (seq < ring->oldest_seq || seq >= ring->oldest_seq + ring->count)
        return NULL;
    return &ring->slots[(ring->head + (size_t)(seq - ring->oldest_seq)) % ring->capacity];
}

uint64_t wg_inspector_ring_oldest_seq(const wg_inspector_ring_t *ring)
{
    return ring->oldest_seq;
}

uint64_t wg_inspector_ring_next_seq(const wg_inspector_ring_t *ring)
{
    return ring->oldest_seq + ring->count;
}

size_t wg_inspector_ring_count(const wg_inspector_ring_t *ring)
{
    return ring->count;
}

size_t wg_inspector_ring_bytes(const wg_inspector_ring_t *ring)
{
    return ring->bytes;
}

uint64_t wg_inspector_ring_write_range(const wg_inspector_ring_t *ring, uint64_t from, uint64_t to, size_t max_bytes,
                                       wg_buf_t *out)
{
    uint64_t s = from < ring->oldest_seq ? ring->oldest_seq : from;
    uint64_t end = wg_inspector_ring_next_seq(ring);
    if (to < end)
        end = to;
    size_t written = 0;
    for (; s < end; s++) {
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, s);
        if (written > 0 && written + 1 + e->len > max_bytes)
            break;
        if (written > 0) {
            wg_buf_append_char(out, ',');
            written++;
        }
        wg_buf_append(out, e->text, e->len);
        written += e->len;
    }
    return s;
}

/* ---- the live rate cap ----------------------------------------------------------------------- */

void wg_inspector_pace_refill(wg_inspector_pace_t *pace, uint64_t now_ms, uint64_t per_s, uint64_t burst)
{
    if (now_ms <= pace->at_ms || per_s == 0)
        return;
    uint64_t add = (now_ms - pace->at_ms) * per_s / 1000;
    if (add == 0)
        return;
    pace->at_ms += add * 1000 / per_s;
    pace->budget += add;
    if (pace->budget >= burst) {
        pace->budget = burst;
        pace->at_ms = now_ms;
    }
}

uint64_t wg_inspector_thin_skip(uint64_t cursor, uint64_t oldest, uint64_t ring_next, uint64_t live_from,
                                uint64_t budget)
{
    if (cursor < live_from || ring_next <= cursor)
        return 0;
    uint64_t skip = ring_next - cursor > budget ? ring_next - cursor - budget : 0;
    /* what the ring dropped since the last flush is skipped too: thinning, not a gap */
    return cursor + skip < oldest ? oldest - cursor : skip;
}
