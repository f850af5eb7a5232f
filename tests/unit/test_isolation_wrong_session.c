/* An event forced onto the wrong connection through the internal API is
 * refused by the agent before anything is sent.
 *
 * Real parts: a mosquitto broker started here (password file + the
 * reference ACL from deploy/mosquitto), the real store, ingest and uplink
 * with acme, globex and site sessions logged in with their own
 * credentials, and a libmosquitto subscriber on '#' as an admin user.
 * uplink_publish_range() is asked to put globex's events on acme's
 * session, on the site session, and the site's on globex's session, both
 * before the sessions connect and after. Each call returns -1, is counted
 * (session stats and the store's isolation_refused counter) and audited
 * ("isolation-refused"), and the subscriber, which does receive acme's
 * own replay (the positive control), never sees a globex event on any
 * topic but globex's. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/ingest.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "sync/store.h"
#include "sync/uplink.h"

#define ADMIN_PASS "admin-pw-unit-4kq"
#define ACME_PASS "acme-pw-unit-7Hq2"
#define GLOBEX_PASS "globex-pw-unit-Zk81"
#define SITE_PASS "site-pw-unit-5k2j"
#define GATEWAY "gw-unit-01"
#define SITE "berlin-dc1" /* the site block of the reference ACL */

static int failures;
static char dir[] = "/tmp/dockside-test-isolation-XXXXXX";
static pid_t broker_pid = -1;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                        \
		}                                                                          \
	} while (0)

#define REQUIRE(cond)                                                                               \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			fprintf(stderr, "%s:%d: required check failed: %s\n", __FILE__, __LINE__, #cond); \
			cleanup_and_exit(1);                                                        \
		}                                                                                   \
	} while (0)

static void cleanup_and_exit(int rc)
{
	if (broker_pid > 0) {
		kill(broker_pid, SIGTERM);
		waitpid(broker_pid, NULL, 0);
	}
	if (rc == 0 || !getenv("DOCKSIDE_KEEP_TMP")) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	} else {
		fprintf(stderr, "kept %s\n", dir);
	}
	exit(rc);
}

static char *path_in(const char *name)
{
	static char bufs[8][600];
	static int next;
	char *p = bufs[next++ % 8];
	snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, mode_t mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void write_file(const char *path, mode_t mode, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	REQUIRE(fclose(f) == 0);
	REQUIRE(chmod(path, mode) == 0);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	REQUIRE(fd >= 0);
	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

static void run_quietly(char *const argv[])
{
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The reference ACL, preceded by an admin user that may read everything. */
static void write_acl(const char *path)
{
	const char *src = getenv("DOCKSIDE_SRC");
	char ref[600];
	snprintf(ref, sizeof ref, "%s/deploy/mosquitto/dockside.acl", src ? src : ".");
	FILE *in = fopen(ref, "r");
	REQUIRE(in);
	FILE *out = fopen(path, "w");
	REQUIRE(out);
	fprintf(out, "user admin\ntopic readwrite #\n\n");
	char line[512];
	while (fgets(line, sizeof line, in))
		fputs(line, out);
	fclose(in);
	REQUIRE(fclose(out) == 0);
}

static int start_broker(void)
{
	int port = free_port();
	const char *pw = path_in("passwd");
	write_file(pw, 0600, "%s", "");
	const char *users[][2] = {{"admin", ADMIN_PASS}, {"acme", ACME_PASS}, {"globex", GLOBEX_PASS},
				  {"site-" SITE, SITE_PASS}};
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		char *argv[] = {"mosquitto_passwd", "-b", (char *)pw, (char *)users[i][0], (char *)users[i][1], NULL};
		run_quietly(argv);
	}
	write_acl(path_in("acl"));
	write_file(path_in("mosquitto.conf"), 0600,
		   "listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\n"
		   "persistence false\nlog_dest file %s\n%s",
		   port, pw, path_in("acl"), path_in("mosquitto.log"), geteuid() == 0 ? "user root\n" : "");
	broker_pid = fork();
	REQUIRE(broker_pid >= 0);
	if (broker_pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp("mosquitto", "mosquitto", "-c", path_in("mosquitto.conf"), (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !port_open(port); i++) {
		REQUIRE(waitpid(broker_pid, NULL, WNOHANG) == 0);
		usleep(10000);
	}
	REQUIRE(port_open(port));
	return port;
}

/* ---- the admin subscriber ------------------------------------------------ */

struct seen {
	pthread_mutex_t lock;
	bool subscribed;
	int on_acme_topic;              /* messages on acme's events topic */
	int acme_replayed;              /* ... carrying acme's own events */
	int globex_outside_own_topic;   /* globex content anywhere but globex's topic */
	int globex_on_own_topic;
};

static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_sub_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)obj;
	if (rc == 0)
		mosquitto_subscribe(m, NULL, "#", 1);
}

static void on_sub_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	(void)m;
	(void)obj;
	(void)mid;
	pthread_mutex_lock(&seen.lock);
	seen.subscribed = n == 1 && granted[0] < 0x80;
	pthread_mutex_unlock(&seen.lock);
}

static void on_sub_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	(void)m;
	(void)obj;
	char *payload = strndup(msg->payload ? msg->payload : "", (size_t)msg->payloadlen);
	bool globex_content = payload && (strstr(payload, "GLOBEX-SECRET") || strstr(payload, GATEWAY "/globex/"));
	bool globex_topic = strcmp(msg->topic, "dockside/v1/globex/" GATEWAY "/events") == 0;
	pthread_mutex_lock(&seen.lock);
	if (strcmp(msg->topic, "dockside/v1/acme/" GATEWAY "/events") == 0) {
		seen.on_acme_topic++;
		if (payload && strstr(payload, "ACME-OWN"))
			seen.acme_replayed++;
	}
	if (globex_content && !globex_topic)
		seen.globex_outside_own_topic++;
	if (globex_content && globex_topic)
		seen.globex_on_own_topic++;
	pthread_mutex_unlock(&seen.lock);
	free(payload);
}

static struct seen seen_now(void)
{
	pthread_mutex_lock(&seen.lock);
	struct seen copy = seen;
	pthread_mutex_unlock(&seen.lock);
	return copy;
}

/* ---- audit and counters ---------------------------------------------------- */

struct audit_count {
	int isolation_refused;
	int acme_globex; /* rows naming session acme and stream globex */
};

static void count_audit(void *arg, const struct store_audit_row *row)
{
	struct audit_count *c = arg;
	if (strcmp(row->action, "isolation-refused") != 0)
		return;
	c->isolation_refused++;
	if (strstr(row->detail, "session=acme stream=globex"))
		c->acme_globex++;
}

static struct audit_count audit_now(struct store *st)
{
	struct audit_count c = {0};
	CHECK(store_audit_list(st, 1000, count_audit, &c) == 0);
	return c;
}

static int64_t counter_value;
static void find_counter(void *arg, const char *stream, const char *reason, int64_t n)
{
	(void)arg;
	if (strcmp(stream, "globex") == 0 && strcmp(reason, "isolation_refused") == 0)
		counter_value = n;
}

/* ---- the test ------------------------------------------------------------- */

static void commit_events(struct store *st, const char *stream, const char *device, const char *text, int n)
{
	for (int i = 0; i < n; i++) {
		char data[128];
		snprintf(data, sizeof data, "{\"text\":\"%s-%d\"}", text, i);
		struct store_event ev = {.stream = stream, .ts_ms = 1700000000000 + i, .device = device,
					 .station = "dock", .kind = "scan", .data = data};
		REQUIRE(store_commit(st, &ev, 1) == STORE_OK);
		REQUIRE(ev.outcome == STORE_EVENT_COMMITTED);
	}
}

static void run_loop_until(struct loop *loop, bool (*done)(void *), void *arg, int timeout_ms)
{
	int64_t until = loop_now_ms() + timeout_ms;
	while (!done(arg) && loop_now_ms() < until)
		loop_run_once(loop, 20);
}

static bool all_connected_and_drained(void *arg)
{
	struct uplink *up = arg;
	for (size_t i = 0; i < uplink_session_count(up); i++) {
		struct session *s = uplink_session_at(up, i);
		if (session_state(s) != SESSION_CONNECTED || session_inflight(s) != 0)
			return false;
	}
	return session_get_stats(uplink_find_session(up, "globex"))->events_acked == 3 &&
	       session_get_stats(uplink_find_session(up, "acme"))->events_acked == 2;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERROR);
	REQUIRE(mkdtemp(dir));
	int port = start_broker();

	mosquitto_lib_init();
	struct mosquitto *sub = mosquitto_new("unit-admin-sub", true, NULL);
	REQUIRE(sub);
	mosquitto_int_option(sub, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_username_pw_set(sub, "admin", ADMIN_PASS);
	mosquitto_connect_callback_set(sub, on_sub_connect);
	mosquitto_subscribe_callback_set(sub, on_sub_subscribe);
	mosquitto_message_callback_set(sub, on_sub_message);
	REQUIRE(mosquitto_connect(sub, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS);
	REQUIRE(mosquitto_loop_start(sub) == MOSQ_ERR_SUCCESS);
	for (int i = 0; i < 500 && !seen_now().subscribed; i++)
		usleep(10000);
	REQUIRE(seen_now().subscribed);

	write_file(path_in("site.cred"), 0600, "scope = site\nusername = site-%s\npassword = %s\n", SITE, SITE_PASS);
	write_file(path_in("acme.cred"), 0600, "tenant = acme\nusername = acme\npassword = %s\n", ACME_PASS);
	write_file(path_in("globex.cred"), 0600, "tenant = globex\nusername = globex\npassword = %s\n", GLOBEX_PASS);
	REQUIRE(mkdir(path_in("data"), 0700) == 0);
	write_file(path_in("dockside.conf"), 0600,
		   "[agent]\ngateway_id = %s\nsite = %s\ndata_dir = %s\ncontrol_socket = %s\n\n"
		   "[broker]\nurl = mqtt://127.0.0.1:%d\nallow_insecure = yes\ntopic_prefix = dockside/v1\n"
		   "reconnect_min_ms = 100\nreconnect_max_ms = 500\n\n"
		   "[site]\ncredentials = %s\n\n[tenant acme]\ncredentials = %s\n\n[tenant globex]\ncredentials = %s\n",
		   GATEWAY, SITE, path_in("data"), path_in("control.sock"), port, path_in("site.cred"),
		   path_in("acme.cred"), path_in("globex.cred"));
	struct diag diag = {.out = stderr};
	struct config *cfg = config_load(path_in("dockside.conf"), true, &diag);
	REQUIRE(cfg);

	struct store *st = NULL;
	char err[256];
	struct store_config sc = {.data_dir = cfg->agent.data_dir, .gateway_id = GATEWAY,
				  .retention_ms = 3600 * 1000, .retention_events = 100000};
	REQUIRE(store_open(&st, &sc, err, sizeof err) == STORE_OK);
	commit_events(st, "globex", "dock-2", "GLOBEX-SECRET", 3);
	commit_events(st, "acme", "dock-1", "ACME-OWN", 2);

	struct loop *loop = loop_new();
	REQUIRE(loop);
	struct ingest *in = ingest_new(loop, st, cfg, NULL, NULL);
	REQUIRE(in);
	struct uplink *up = uplink_new(loop, st, in, cfg);
	REQUIRE(up);
	struct session *acme = uplink_find_session(up, "acme");
	struct session *globex = uplink_find_session(up, "globex");
	struct session *site = uplink_find_session(up, STORE_SITE_STREAM);
	REQUIRE(acme && globex && site);

	/* Not yet connected: the wrong pairing is refused and audited all the same. */
	CHECK(uplink_publish_range(up, acme, "globex", 1, -1) == -1);
	CHECK(session_get_stats(acme)->isolation_refusals == 1);
	CHECK(audit_now(st).acme_globex == 1);

	uplink_start(up);
	run_loop_until(loop, all_connected_and_drained, up, 10000);
	REQUIRE(all_connected_and_drained(up));
	/* Give the subscriber a moment to receive what was just acknowledged. */
	for (int i = 0; i < 100 && seen_now().globex_on_own_topic < 1; i++)
		usleep(10000);
	struct seen before = seen_now();
	CHECK(before.globex_on_own_topic >= 1);   /* globex's events did flow, on its topic */
	CHECK(before.globex_outside_own_topic == 0);

	/* Connected now: globex's events forced onto acme's and the site's
	 * sessions, and the site's onto globex's. */
	CHECK(uplink_publish_range(up, acme, "globex", 1, -1) == -1);
	CHECK(uplink_publish_range(up, acme, "globex", 2, 2) == -1);
	CHECK(uplink_publish_range(up, site, "globex", 1, -1) == -1);
	CHECK(uplink_publish_range(up, globex, STORE_SITE_STREAM, 1, -1) == -1);
	CHECK(uplink_publish_range(up, acme, "no-such-tenant", 1, -1) == -1);
	/* Positive control: acme's own events on acme's session go out. */
	CHECK(uplink_publish_range(up, acme, "acme", 1, -1) == 2);

	run_loop_until(loop, never, NULL, 500);
	for (int i = 0; i < 100 && seen_now().acme_replayed <= before.acme_replayed; i++)
		usleep(10000);
	struct seen after = seen_now();
	CHECK(after.acme_replayed == before.acme_replayed + 1);             /* the control arrived */
	CHECK(after.on_acme_topic == before.on_acme_topic + 1);             /* and nothing else */
	CHECK(after.globex_outside_own_topic == 0);
	CHECK(after.globex_on_own_topic == before.globex_on_own_topic);

	CHECK(session_get_stats(acme)->isolation_refusals == 4);
	CHECK(session_get_stats(site)->isolation_refusals == 1);
	CHECK(session_get_stats(globex)->isolation_refusals == 1);
	CHECK(session_get_stats(acme)->messages_published >= 2);
	struct audit_count ac = audit_now(st);
	CHECK(ac.isolation_refused == 6);
	CHECK(ac.acme_globex == 3);
	int64_t bad = 0;
	CHECK(store_audit_verify(st, &bad) == 0);
	CHECK(store_flush(st) >= 0);
	counter_value = 0;
	CHECK(store_list_counters(st, find_counter, NULL) == 0);
	CHECK(counter_value == 4); /* acme x3 + site x1 refused globex's stream */
	/* The refused events stay where they were: acknowledged, not quarantined. */
	struct store_stream_info info;
	CHECK(store_stream_info(st, "globex", &info) == 0);
	CHECK(info.acked_seq == 3 && info.backlog == 0);

	uplink_free(up, 500);
	ingest_free(in);
	loop_free(loop);
	store_close(st);
	config_free(cfg);
	mosquitto_loop_stop(sub, true);
	mosquitto_destroy(sub);
	mosquitto_lib_cleanup();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("test_isolation_wrong_session: all checks passed\n");
	cleanup_and_exit(failures ? 1 : 0);
}
