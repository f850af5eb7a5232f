/* The CLI side of the control socket. Blocking is fine here (this is a
 * short-lived command), but never forever: the socket has send and
 * receive timeouts, and the answer's size is bounded. */
#include "agent/control_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/util.h"

#define CALL_TIMEOUT_S 30
#define MAX_ANSWER_BYTES (256u * 1024 * 1024)

/* What the CLI needs from the configuration. */
struct control_target {
	char socket_path[PATH_MAX];
	char admin_group[64];
};

static int load_target(const char *config_path, struct control_target *t)
{
	struct diag diag = {.out = stderr};
	/* Credentials and profiles are the daemon's business: an admin who
	 * may not read them can still ask the daemon. */
	struct config *cfg = config_load(config_path, false, &diag);
	if (!cfg) {
		fprintf(stderr, "dockside: %s: cannot read the configuration (%d error(s)); it names the control socket\n",
			config_path, diag.errors);
		return -1;
	}
	str_copy(t->socket_path, sizeof t->socket_path, cfg->agent.control_socket);
	str_copy(t->admin_group, sizeof t->admin_group, cfg->agent.admin_group);
	config_free(cfg);
	return 0;
}

static int connect_daemon(const struct control_target *t, const char *what)
{
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (!str_copy(addr.sun_path, sizeof addr.sun_path, t->socket_path)) {
		fprintf(stderr, "dockside: %s: control socket path too long: %s\n", what, t->socket_path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "dockside: %s: socket: %s\n", what, strerror(errno));
		return -1;
	}
	struct timeval tv = {.tv_sec = CALL_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	int rc;
	do
		rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return fd;
	int err = errno;
	close(fd);
	if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
		fprintf(stderr, "dockside: %s: the daemon is not running (nothing listens on %s: %s)\n", what,
			t->socket_path, strerror(err));
	else if (err == EACCES || err == EPERM)
		fprintf(stderr,
			"dockside: %s: access denied: cannot open %s (%s); the control socket admits root and "
			"members of group '%s'\n",
			what, t->socket_path, strerror(err), t->admin_group);
	else if (err == EAGAIN)
		fprintf(stderr, "dockside: %s: the daemon at %s is too busy to accept a connection\n", what,
			t->socket_path);
	else
		fprintf(stderr, "dockside: %s: cannot connect to %s: %s\n", what, t->socket_path, strerror(err));
	return -1;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the daemon closes. A reset after the answer arrived (the
 * daemon closed without reading everything) still counts as the end. */
static int read_answer(int fd, struct strbuf *sb)
{
	char buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET && sb->len > 0))
			return 0;
		if (n < 0)
			return -1;
		if (sb->len + (size_t)n > MAX_ANSWER_BYTES) {
			errno = EMSGSIZE;
			return -1;
		}
		strbuf_append(sb, buf, (size_t)n);
		if (sb->failed) {
			errno = ENOMEM;
			return -1;
		}
	}
}

int control_call(const char *config_path, const char *what, const cJSON *req, cJSON **resp, char **raw)
{
	struct control_target target;
	struct strbuf answer;
	char *text = NULL;
	cJSON *root = NULL;
	int fd = -1, status = 1;

	*resp = NULL;
	if (raw)
		*raw = NULL;
	strbuf_init(&answer);
	if (load_target(config_path, &target) < 0)
		goto cleanup;
	text = cJSON_PrintUnformatted(req);
	if (!text) {
		fprintf(stderr, "dockside: %s: out of memory\n", what);
		goto cleanup;
	}
	fd = connect_daemon(&target, what);
	if (fd < 0)
		goto cleanup;
	if (send_all(fd, text, strlen(text)) < 0 || send_all(fd, "\n", 1) < 0) {
		/* A daemon that refuses (busy, access denied) answers and closes
		 * at once, so the request may meet a closed socket: its answer
		 * is still waiting to be read and says more than EPIPE. */
		int send_errno = errno;
		if (send_errno != EPIPE && send_errno != ECONNRESET) {
			fprintf(stderr, "dockside: %s: sending to %s: %s\n", what, target.socket_path,
				strerror(send_errno));
			goto cleanup;
		}
		if (read_answer(fd, &answer) < 0 || answer.len == 0) {
			fprintf(stderr, "dockside: %s: sending to %s: %s\n", what, target.socket_path,
				strerror(send_errno));
			goto cleanup;
		}
	} else {
		shutdown(fd, SHUT_WR);
	}
	if (!answer.len && read_answer(fd, &answer) < 0) {
		fprintf(stderr, "dockside: %s: no answer from the daemon at %s: %s\n", what, target.socket_path,
			errno == EAGAIN ? "timed out" : strerror(errno));
		goto cleanup;
	}
	root = answer.len ? cJSON_ParseWithLength(answer.buf, answer.len) : NULL;
	if (!cJSON_IsObject(root)) {
		fprintf(stderr, "dockside: %s: the daemon at %s sent %s\n", what, target.socket_path,
			answer.len ? "an answer that is not JSON" : "no answer");
		goto cleanup;
	}
	if (!json_bool(root, "ok")) {
		fprintf(stderr, "dockside: %s: %s\n", what, json_string(root, "error", "the daemon refused the request"));
		goto cleanup;
	}
	*resp = root;
	root = NULL;
	if (raw) {
		while (answer.len && (answer.buf[answer.len - 1] == '\n'))
			answer.buf[--answer.len] = '\0';
		*raw = strbuf_steal(&answer);
	}
	status = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(root);
	free(text);
	strbuf_free(&answer);
	return status;
}

cJSON *control_request_new(const char *cmd)
{
	cJSON *req = cJSON_CreateObject();
	if (!req || !cJSON_AddStringToObject(req, "cmd", cmd)) {
		cJSON_Delete(req);
		fprintf(stderr, "dockside: out of memory\n");
		return NULL;
	}
	return req;
}

double json_number(const cJSON *obj, const char *name, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *json_string(const cJSON *obj, const char *name, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : def;
}

bool json_bool(const cJSON *obj, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

void format_duration(double seconds, char *buf, size_t size)
{
	long long s = seconds < 0 ? 0 : (long long)seconds;
	if (s >= 86400)
		snprintf(buf, size, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%llds", s);
}

void print_raw(const char *raw)
{
	fputs(raw, stdout);
	fputc('\n', stdout);
}

bool parse_count_arg(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s && parse_int64(s, min, max, out);
}

int parse_listing_options(int argc, char **argv, const char *what, void (*usage)(FILE *out), bool *json,
			  int64_t *n, int64_t n_max)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, n ? "n:h" : "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'n':
			if (!parse_count_arg(optarg, 1, n_max, n)) {
				fprintf(stderr, "dockside: %s: -n wants a number from 1 to %lld\n", what, (long long)n_max);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	return -1;
}
