#include "agent/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

struct loop_watch {
	struct loop *loop;
	int fd;
	short events;
	bool dead;
	loop_fd_cb cb;
	void *arg;
	struct loop_watch *next;
};

struct loop_timer {
	struct loop *loop;
	int64_t due_ms;
	uint64_t order; /* ties fire in creation order */
	bool dead;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

struct loop {
	struct loop_watch *watches;
	struct loop_timer *timers;
	uint64_t timer_order;
	struct pollfd *pfds;
	struct loop_watch **pwatch;
	size_t pcap;
	loop_prepare_cb prepare;
	void *prepare_arg;
};

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->watches) {
		struct loop_watch *w = loop->watches;
		loop->watches = w->next;
		free(w);
	}
	while (loop->timers) {
		struct loop_timer *t = loop->timers;
		loop->timers = t->next;
		free(t);
	}
	free(loop->pfds);
	free(loop->pwatch);
	free(loop);
}

struct loop_watch *loop_watch_add(struct loop *loop, int fd, short events, loop_fd_cb cb, void *arg)
{
	struct loop_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	w->next = loop->watches;
	loop->watches = w;
	return w;
}

void loop_watch_set_events(struct loop_watch *w, short events)
{
	if (w)
		w->events = events;
}

void loop_watch_remove(struct loop_watch *w)
{
	/* Freed lazily at the end of the iteration: poll arrays may point at it. */
	if (w)
		w->dead = true;
}

struct loop_timer *loop_timer_add(struct loop *loop, int64_t ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->loop = loop;
	t->due_ms = loop_now_ms() + (ms < 0 ? 0 : ms);
	t->order = loop->timer_order++;
	t->cb = cb;
	t->arg = arg;
	t->next = loop->timers;
	loop->timers = t;
	return t;
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (t)
		t->dead = true;
}

void loop_set_prepare(struct loop *loop, loop_prepare_cb cb, void *arg)
{
	loop->prepare = cb;
	loop->prepare_arg = arg;
}

static void loop_reap(struct loop *loop)
{
	for (struct loop_watch **pw = &loop->watches; *pw;) {
		if ((*pw)->dead) {
			struct loop_watch *dead = *pw;
			*pw = dead->next;
			free(dead);
		} else {
			pw = &(*pw)->next;
		}
	}
	for (struct loop_timer **pt = &loop->timers; *pt;) {
		if ((*pt)->dead) {
			struct loop_timer *dead = *pt;
			*pt = dead->next;
			free(dead);
		} else {
			pt = &(*pt)->next;
		}
	}
}

/* Fires due timers, earliest first; returns ms until the next one (-1: none). */
static int loop_fire_timers(struct loop *loop)
{
	for (;;) {
		int64_t now = loop_now_ms();
		struct loop_timer *best = NULL;
		for (struct loop_timer *t = loop->timers; t; t = t->next) {
			if (t->dead)
				continue;
			if (!best || t->due_ms < best->due_ms ||
			    (t->due_ms == best->due_ms && t->order < best->order))
				best = t;
		}
		if (!best)
			return -1;
		if (best->due_ms > now) {
			int64_t wait = best->due_ms - now;
			return wait > 60000 ? 60000 : (int)wait;
		}
		best->dead = true; /* one-shot; reaped later */
		best->cb(loop, best->arg);
	}
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
	int wait = loop_fire_timers(loop);
	if (loop->prepare)
		loop->prepare(loop, loop->prepare_arg);
	loop_reap(loop);
	wait = loop_fire_timers(loop);
	if (max_wait_ms >= 0 && (wait < 0 || wait > max_wait_ms))
		wait = max_wait_ms;

	size_t n = 0;
	for (struct loop_watch *w = loop->watches; w; w = w->next)
		n++;
	if (n > loop->pcap) {
		size_t cap = n * 2;
		struct pollfd *p = realloc(loop->pfds, cap * sizeof *p);
		if (!p)
			return -1;
		loop->pfds = p;
		struct loop_watch **pw = realloc(loop->pwatch, cap * sizeof *pw);
		if (!pw)
			return -1;
		loop->pwatch = pw;
		loop->pcap = cap;
	}
	size_t i = 0;
	for (struct loop_watch *w = loop->watches; w; w = w->next, i++) {
		loop->pfds[i].fd = w->events ? w->fd : -1;
		loop->pfds[i].events = w->events;
		loop->pfds[i].revents = 0;
		loop->pwatch[i] = w;
	}
	int rc = poll(loop->pfds, n, wait);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	for (i = 0; i < n && rc > 0; i++) {
		struct loop_watch *w = loop->pwatch[i];
		if (!loop->pfds[i].revents)
			continue;
		rc--;
		if (!w->dead)
			w->cb(loop, w->fd, loop->pfds[i].revents, w->arg);
	}
	loop_fire_timers(loop);
	loop_reap(loop);
	return 0;
}
