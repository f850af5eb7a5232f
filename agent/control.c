/* The control socket: a Unix stream socket on the daemon's poll loop.
 *
 * One JSON request line in, one JSON document out, then the daemon closes
 * the connection (docs/cli.md). Nothing here may block the loop: the
 * listening and client sockets are non-blocking, every client has its own
 * bounded input buffer and output buffer, the number of clients is capped
 * and a client that does not finish within CLIENT_TIMEOUT_MS is dropped.
 *
 * Admission (checked with SO_PEERCRED when the request is complete): root,
 * the daemon's own effective uid, and members of [agent] admin_group
 * (primary gid, the groups the peer process holds, or the group database).
 * Everyone else gets an "access denied" answer, counted and logged.
 */
/* struct ucred, SO_PEERCRED and accept4 are Linux (GNU) extensions. */
#define _GNU_SOURCE
#include "agent/control.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control_private.h"
#include "agent/daemon.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "agent/util.h"

#define CONTROL_WHO "control"
#define MAX_REQUEST_BYTES (64 * 1024)
#define MAX_CLIENTS 32
#define CLIENT_TIMEOUT_MS 10000
#define ACCEPTS_PER_WAKEUP 16
#define LISTEN_BACKLOG 16
#define REFUSAL_LOG_INTERVAL_MS 1000
/* A `tail -f` repeats its request every 500 ms; a follow-up request within
 * this window after an audited one needs no new audit entry. */
#define FOLLOW_WINDOW_MS 10000
#define MAX_FOLLOWS 16

struct control_client {
	struct control *ctl;
	struct control_client *next;
	int fd;
	struct loop_watch *watch;
	struct loop_timer *timer;
	struct ucred peer;
	char *in;                 /* request bytes, MAX_REQUEST_BYTES at most */
	size_t in_len;
	struct strbuf out;        /* the answer, sent from out_off on */
	size_t out_off;
	bool writing;
};

struct follow_entry {
	uid_t uid;
	char stream[DS_NAME_MAX + 1];
	int64_t last_ms;
};

struct control {
	struct daemon *d;
	int fd;
	struct loop_watch *watch;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t sock_dev;
	ino_t sock_ino;
	struct control_client *clients;
	size_t n_clients;
	struct control_stats stats;
	int64_t last_refusal_log_ms;
	uint64_t refusals_unlogged;
	struct follow_entry follows[MAX_FOLLOWS];
};

/* ---- helpers shared with the handlers ----------------------------------- */

int control_fail(struct control_request *r, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	r->code = code;
	return -1;
}

bool control_get_int(struct control_request *r, const char *field, int64_t min, int64_t max, int64_t def,
		     int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->req, field);
	*out = def;
	if (!v || cJSON_IsNull(v))
		return true;
	/* Doubles hold integers exactly up to 2^53; refuse anything else. */
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
	    v->valuedouble < (double)min || v->valuedouble > (double)max) {
		control_fail(r, "bad_request", "\"%s\" must be an integer from %lld to %lld", field, (long long)min,
			     (long long)max);
		return false;
	}
	*out = (int64_t)v->valuedouble;
	return true;
}

const char *control_get_string(struct control_request *r, const char *field, bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->req, field);
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || !v->valuestring) {
		control_fail(r, "bad_request", "\"%s\" must be a string", field);
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

void control_add_time(cJSON *obj, const char *name, int64_t ms)
{
	if (ms <= 0) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	char buf[40];
	format_iso8601_ms(ms, buf, sizeof buf);
	cJSON_AddStringToObject(obj, name, buf);
}

const struct control_stats *control_get_stats(const struct control *ctl)
{
	return &ctl->stats;
}

bool control_follow_seen(struct control *ctl, uid_t uid, const char *stream, int64_t now_ms, bool refresh_only)
{
	struct follow_entry *oldest = &ctl->follows[0];
	for (size_t i = 0; i < MAX_FOLLOWS; i++) {
		struct follow_entry *f = &ctl->follows[i];
		if (f->last_ms && f->uid == uid && strcmp(f->stream, stream) == 0) {
			bool recent = now_ms - f->last_ms <= FOLLOW_WINDOW_MS;
			if (recent || !refresh_only)
				f->last_ms = now_ms;
			return recent;
		}
		if (f->last_ms < oldest->last_ms)
			oldest = f;
	}
	if (!refresh_only) {
		oldest->uid = uid;
		str_copy(oldest->stream, sizeof oldest->stream, stream);
		oldest->last_ms = now_ms;
	}
	return false;
}

/* ---- admission ----------------------------------------------------------- */

static bool gid_in(gid_t gid, const gid_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/* The groups the peer process holds right now (Linux 4.13+). */
static bool peer_groups_contain(int fd, gid_t gid)
{
#ifdef SO_PEERGROUPS
	gid_t groups[256];
	socklen_t len = sizeof groups;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		return gid_in(gid, groups, len / sizeof groups[0]);
#else
	(void)fd;
	(void)gid;
#endif
	return false;
}

/* The groups the group database gives the peer's user. */
static bool user_groups_contain(uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		return false;
	int n = 64;
	gid_t *groups = NULL;
	bool found = false;
	for (int tries = 0; tries < 4; tries++) {
		gid_t *bigger = realloc(groups, (size_t)n * sizeof *groups);
		if (!bigger)
			break;
		groups = bigger;
		int want = n;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &want) >= 0) {
			found = gid_in(gid, groups, (size_t)want);
			break;
		}
		if (want <= n || want > 65536)
			break;
		n = want;
	}
	free(groups);
	return found;
}

static bool peer_admitted(const struct control *ctl, int fd, const struct ucred *peer)
{
	if (peer->uid == 0 || peer->uid == geteuid())
		return true;
	const char *group = ctl->d->cfg->agent.admin_group;
	if (!group[0])
		return false;
	struct group *gr = getgrnam(group);
	if (!gr)
		return false;
	gid_t gid = gr->gr_gid;
	return peer->gid == gid || peer_groups_contain(fd, gid) || user_groups_contain(peer->uid, gid);
}

static void log_refusal(struct control *ctl, const struct ucred *peer)
{
	int64_t now = loop_now_ms();
	/* Rate-limited: a loop of refused clients must not flood the log. */
	if (ctl->last_refusal_log_ms && now - ctl->last_refusal_log_ms < REFUSAL_LOG_INTERVAL_MS) {
		ctl->refusals_unlogged++;
		return;
	}
	log_warn(CONTROL_WHO,
		 "refused uid %u (pid %d): not root, not the daemon's user, not in group '%s'"
		 " (%llu more refusals not logged)",
		 (unsigned)peer->uid, (int)peer->pid, ctl->d->cfg->agent.admin_group,
		 (unsigned long long)ctl->refusals_unlogged);
	ctl->refusals_unlogged = 0;
	ctl->last_refusal_log_ms = now;
}

/* ---- clients ----------------------------------------------------------- */

static void client_close(struct control_client *c)
{
	struct control *ctl = c->ctl;
	for (struct control_client **pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->n_clients--;
	loop_watch_remove(c->watch);
	loop_timer_cancel(c->timer);
	close(c->fd);
	free(c->in);
	strbuf_free(&c->out);
	free(c);
}

static void client_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct control_client *c = arg;
	c->timer = NULL; /* freed by the loop after this callback */
	c->ctl->stats.timeouts++;
	log_debug(CONTROL_WHO, "closing client uid %u: no complete exchange within %d ms", (unsigned)c->peer.uid,
		  CLIENT_TIMEOUT_MS);
	client_close(c);
}

static const struct {
	const char *cmd;
	int (*handle)(struct control_request *r);
} handlers[] = {
	{"status", control_handle_status},
	{"metrics", control_handle_metrics},
	{"tail", control_handle_tail},
	{"quarantine-list", control_handle_quarantine_list},
	{"quarantine-assign", control_handle_quarantine_assign},
	{"quarantine-drop", control_handle_quarantine_drop},
	{"replay", control_handle_replay},
	{"audit-verify", control_handle_audit_verify},
	{"audit-list", control_handle_audit_list},
};

/* Builds the answer to one request into c->out. */
static void client_answer(struct control_client *c, const char *text, size_t len, bool admitted)
{
	struct control *ctl = c->ctl;
	struct control_request r = {
		.d = ctl->d,
		.ctl = ctl,
		.uid = c->peer.uid,
		.pid = c->peer.pid,
	};
	cJSON *root = NULL;
	int rc = -1;

	r.resp = cJSON_CreateObject();
	if (!r.resp)
		goto out_of_memory;
	if (!admitted) {
		ctl->stats.refused++;
		log_refusal(ctl, &c->peer);
		control_fail(&r, "access_denied",
			     "access denied: uid %u is not root, not the daemon's user and not a member of group '%s'",
			     (unsigned)c->peer.uid, ctl->d->cfg->agent.admin_group);
		goto respond;
	}
	root = cJSON_ParseWithLength(text, len);
	const cJSON *cmd = root ? cJSON_GetObjectItemCaseSensitive(root, "cmd") : NULL;
	if (!cJSON_IsObject(root)) {
		control_fail(&r, "bad_request", "request is not a JSON object");
		goto respond;
	}
	if (!cJSON_IsString(cmd) || !cmd->valuestring) {
		control_fail(&r, "bad_request", "request has no \"cmd\" string");
		goto respond;
	}
	r.req = root;
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
		if (strcmp(handlers[i].cmd, cmd->valuestring) == 0) {
			rc = handlers[i].handle(&r);
			goto respond;
		}
	}
	control_fail(&r, "unknown_command", "unknown command");
respond:
	if (rc != 0) {
		if (admitted)
			ctl->stats.errors++;
		/* A failed handler may have added members: answer only the error. */
		cJSON_Delete(r.resp);
		r.resp = cJSON_CreateObject();
		if (!r.resp)
			goto out_of_memory;
		cJSON_AddBoolToObject(r.resp, "ok", false);
		cJSON_AddStringToObject(r.resp, "code", r.code ? r.code : "error");
		cJSON_AddStringToObject(r.resp, "error", r.error[0] ? r.error : "failed");
	} else {
		cJSON_AddBoolToObject(r.resp, "ok", true);
	}
	cJSON_AddNumberToObject(r.resp, "v", 1);
	char *printed = cJSON_PrintUnformatted(r.resp);
	if (!printed)
		goto out_of_memory;
	strbuf_puts(&c->out, printed);
	strbuf_puts(&c->out, "\n");
	free(printed);
	if (c->out.failed)
		goto out_of_memory;
	ctl->stats.requests++;
	cJSON_Delete(r.resp);
	cJSON_Delete(root);
	return;
out_of_memory:
	log_error(CONTROL_WHO, "out of memory answering a request");
	cJSON_Delete(r.resp);
	cJSON_Delete(root);
	strbuf_reset(&c->out);
	c->out.failed = false;
	strbuf_puts(&c->out, "{\"ok\":false,\"code\":\"error\",\"error\":\"daemon out of memory\",\"v\":1}\n");
}

/* Sends what the socket takes now; closes the client when all is sent or
 * the peer went away. */
static void client_flush(struct control_client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break; /* the peer is gone: nothing more to do */
	}
	client_close(c);
}

static void client_start_answer(struct control_client *c, const char *text, size_t len)
{
	bool admitted = peer_admitted(c->ctl, c->fd, &c->peer);
	client_answer(c, text, len, admitted);
	c->writing = true;
	loop_watch_set_events(c->watch, POLLOUT);
	client_flush(c); /* may close c */
}

static void client_read(struct control_client *c)
{
	for (;;) {
		size_t room = MAX_REQUEST_BYTES - c->in_len;
		if (room == 0) {
			c->ctl->stats.oversized++;
			strbuf_printf(&c->out,
				      "{\"ok\":false,\"code\":\"too_large\",\"error\":\"request larger than %d bytes\",\"v\":1}\n",
				      MAX_REQUEST_BYTES);
			c->writing = true;
			loop_watch_set_events(c->watch, POLLOUT);
			client_flush(c);
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_close(c);
			return;
		}
		if (n == 0) {
			/* The peer shut down its side: what came is the request. */
			if (c->in_len == 0)
				client_close(c);
			else
				client_start_answer(c, c->in, c->in_len);
			return;
		}
		char *nl = memchr(c->in + c->in_len, '\n', (size_t)n);
		c->in_len += (size_t)n;
		if (nl) {
			client_start_answer(c, c->in, (size_t)(nl - c->in));
			return;
		}
	}
}

static void client_io(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)fd;
	struct control_client *c = arg;
	if (c->writing) {
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			client_flush(c);
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		client_read(c);
}

static void on_accept(struct loop *loop, int fd, short revents, void *arg)
{
	(void)revents;
	struct control *ctl = arg;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn_errno(CONTROL_WHO, "accept on %s", ctl->path);
			return;
		}
		ctl->stats.connections++;
		if (ctl->n_clients >= MAX_CLIENTS) {
			static const char busy[] =
				"{\"ok\":false,\"code\":\"busy\",\"error\":\"too many control clients\",\"v\":1}\n";
			ctl->stats.rejected_busy++;
			ssize_t n = send(cfd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)n;
			close(cfd);
			continue;
		}
		struct control_client *c = calloc(1, sizeof *c);
		socklen_t len = sizeof c->peer;
		if (!c || !(c->in = malloc(MAX_REQUEST_BYTES)) ||
		    getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c->peer, &len) < 0 || len != sizeof c->peer) {
			log_warn_errno(CONTROL_WHO, "cannot take a control client");
			if (c)
				free(c->in);
			free(c);
			close(cfd);
			continue;
		}
		c->ctl = ctl;
		c->fd = cfd;
		strbuf_init(&c->out);
		c->watch = loop_watch_add(loop, cfd, POLLIN, client_io, c);
		c->timer = loop_timer_add(loop, CLIENT_TIMEOUT_MS, client_timeout, c);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
		if (!c->watch || !c->timer) {
			log_warn(CONTROL_WHO, "out of memory taking a control client");
			client_close(c);
		}
	}
}

/* ---- the listening socket ---------------------------------------------- */

/* Creates the missing parent directories of path with mode 0755. */
static int make_parent_dirs(const char *path)
{
	char tmp[PATH_MAX];
	if (!str_copy(tmp, sizeof tmp, path))
		return -1;
	char *slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return 0;
}

/* A socket file left by a daemon that died is removed; a live one (another
 * daemon answering) or a file that is not a socket is left alone. */
static int clear_stale_socket(const struct sockaddr_un *addr)
{
	struct stat sb;
	if (lstat(addr->sun_path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(sb.st_mode)) {
		log_error(CONTROL_WHO, "%s exists and is not a socket; not replacing it", addr->sun_path);
		errno = EEXIST;
		return -1;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -1;
	int rc = connect(probe, (const struct sockaddr *)addr, sizeof *addr);
	int err = errno;
	close(probe);
	if (rc == 0) {
		log_error(CONTROL_WHO, "%s: another dockside daemon is listening there", addr->sun_path);
		errno = EADDRINUSE;
		return -1;
	}
	if (err != ECONNREFUSED) {
		errno = err;
		return -1;
	}
	log_info(CONTROL_WHO, "removing stale socket %s", addr->sun_path);
	return unlink(addr->sun_path) < 0 && errno != ENOENT ? -1 : 0;
}

struct control *control_open(struct daemon *d)
{
	const char *path = d->cfg->agent.control_socket;
	struct sockaddr_un addr;
	struct control *ctl = calloc(1, sizeof *ctl);
	if (!ctl) {
		log_error(CONTROL_WHO, "out of memory");
		return NULL;
	}
	ctl->d = d;
	ctl->fd = -1;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (!path[0] || !str_copy(addr.sun_path, sizeof addr.sun_path, path) ||
	    !str_copy(ctl->path, sizeof ctl->path, path)) {
		log_error(CONTROL_WHO, "control_socket path '%s' is empty or longer than %zu bytes", path,
			  sizeof addr.sun_path - 1);
		goto fail;
	}
	if (make_parent_dirs(path) < 0) {
		log_error_errno(CONTROL_WHO, "cannot create the directory of %s", path);
		goto fail;
	}
	if (clear_stale_socket(&addr) < 0) {
		log_error_errno(CONTROL_WHO, "cannot use %s", path);
		goto fail;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		log_error_errno(CONTROL_WHO, "cannot bind %s", path);
		goto fail;
	}
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		ctl->sock_dev = sb.st_dev;
		ctl->sock_ino = sb.st_ino;
	}
	/* File permissions are the first gate, SO_PEERCRED the second. */
	if (chmod(path, 0660) < 0) {
		log_error_errno(CONTROL_WHO, "cannot chmod %s", path);
		goto fail;
	}
	if (d->cfg->agent.admin_group[0]) {
		struct group *gr = getgrnam(d->cfg->agent.admin_group);
		if (!gr)
			log_info(CONTROL_WHO, "admin group '%s' does not exist: only root and uid %u are admitted",
				 d->cfg->agent.admin_group, (unsigned)geteuid());
		else if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_warn_errno(CONTROL_WHO, "cannot give %s to group '%s'", path, d->cfg->agent.admin_group);
	}
	if (listen(ctl->fd, LISTEN_BACKLOG) < 0) {
		log_error_errno(CONTROL_WHO, "cannot listen on %s", path);
		goto fail;
	}
	ctl->watch = loop_watch_add(d->loop, ctl->fd, POLLIN, on_accept, ctl);
	if (!ctl->watch) {
		log_error(CONTROL_WHO, "out of memory");
		goto fail;
	}
	log_info(CONTROL_WHO, "listening on %s", path);
	return ctl;
fail:
	control_close(ctl);
	return NULL;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_close(ctl->clients);
	loop_watch_remove(ctl->watch);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		/* Remove the socket only if it is still the one we made. */
		struct stat sb;
		if (ctl->sock_ino && lstat(ctl->path, &sb) == 0 && sb.st_dev == ctl->sock_dev &&
		    sb.st_ino == ctl->sock_ino)
			unlink(ctl->path);
	}
	free(ctl);
}
