#include "sync/command.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "agent/util.h"

/* Largest seq accepted: well inside the doubles cJSON parses exactly. */
#define COMMAND_SEQ_MAX 9000000000000000LL

const char *command_error_string(enum command_error err)
{
	switch (err) {
	case COMMAND_OK: return "ok";
	case COMMAND_ERR_SIZE: return "empty or oversized command";
	case COMMAND_ERR_UTF8: return "command is not valid UTF-8";
	case COMMAND_ERR_JSON: return "command is not a JSON object";
	case COMMAND_ERR_OP: return "missing or unknown op";
	case COMMAND_ERR_OTHER_TENANT: return "command names another tenant's data";
	case COMMAND_ERR_RANGE: return "replay needs integer from >= 1 and to >= from";
	}
	return "unknown error";
}

static bool seq_value(const cJSON *item, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return false;
	double v = item->valuedouble;
	if (!isfinite(v) || v < 1 || v > (double)COMMAND_SEQ_MAX || floor(v) != v)
		return false;
	*out = (int64_t)v;
	return true;
}

static bool has_escaped_nul(const char *p, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (p[i] == '\\' && memcmp(p + i + 1, "u0000", 5) == 0)
			return true;
	return false;
}

enum command_error command_parse(const char *payload, size_t len, const char *tenant, struct command *cmd)
{
	enum command_error err = COMMAND_OK;
	if (!payload || len == 0 || len > COMMAND_MAX_BYTES)
		return COMMAND_ERR_SIZE;
	if (utf8_invalid_bytes(payload, len))
		return COMMAND_ERR_UTF8;
	/* A NUL, raw or escaped, would end a string early for strcmp while
	 * the JSON looks longer: "replay\u0000x" must not pass as "replay". */
	if (memchr(payload, '\0', len) || has_escaped_nul(payload, len))
		return COMMAND_ERR_JSON;
	cJSON *root = cJSON_ParseWithLength(payload, len);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return COMMAND_ERR_JSON;
	}
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(root, "op");
	const cJSON *who = cJSON_GetObjectItemCaseSensitive(root, "tenant");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(root, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(root, "to");
	memset(cmd, 0, sizeof *cmd);
	if (!cJSON_IsString(op) || strcmp(op->valuestring, "replay") != 0) {
		err = COMMAND_ERR_OP;
	} else if (who && (!cJSON_IsString(who) || strcmp(who->valuestring, tenant) != 0)) {
		err = COMMAND_ERR_OTHER_TENANT;
		/* Only tenant-id characters survive, so the audit line stays clean. */
		if (cJSON_IsString(who) && tenant_id_valid(who->valuestring))
			str_copy(cmd->named_tenant, sizeof cmd->named_tenant, who->valuestring);
		else
			str_copy(cmd->named_tenant, sizeof cmd->named_tenant, "(invalid)");
	} else if (!seq_value(from, &cmd->from_seq)) {
		err = COMMAND_ERR_RANGE;
	} else if (to && (!seq_value(to, &cmd->to_seq) || cmd->to_seq < cmd->from_seq)) {
		err = COMMAND_ERR_RANGE;
	} else {
		cmd->op = COMMAND_REPLAY;
		if (!to)
			cmd->to_seq = -1;
	}
	cJSON_Delete(root);
	return err;
}
