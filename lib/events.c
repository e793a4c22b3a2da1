#include "events.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"

/* One row per event of SPEC.md. A MESSAGE_ID is never reused for another meaning; each has an
 * entry in systemd/vakt.catalog. Priorities: LOG_ERR failed, LOG_WARNING degraded or an attempt
 * to watch, LOG_NOTICE decisions and sensitive actions, LOG_INFO state changes. */
static const struct event_info event_table[_EVENT_MAX] = {
	[EVENT_STORAGE_BLOCKED] = {
		.name = "storage.blocked",
		.message_id = "1d9b86fa30304a05b4f59d365161909b",
		.priority = LOG_NOTICE,
	},
	[EVENT_STORAGE_ALLOWED] = {
		.name = "storage.allowed",
		.message_id = "fc5577448cfd4559b13d9b3199b8cefb",
		.priority = LOG_NOTICE,
	},
	[EVENT_STORAGE_READ_ONLY] = {
		.name = "storage.read_only",
		.message_id = "f79dcf709ee849058a4fb13e001b5615",
		.priority = LOG_NOTICE,
	},
	[EVENT_STORAGE_REMOVED] = {
		.name = "storage.removed",
		.message_id = "46e2fcce92fd44e881c43d6ddb1d9761",
		.priority = LOG_INFO,
	},
	[EVENT_SESSION_LOCKED] = {
		.name = "session.locked",
		.message_id = "816968ebe74f49c495de5a997eef9e1e",
		.priority = LOG_NOTICE,
	},
	[EVENT_SESSION_LOCK_FAILED] = {
		.name = "session.lock_failed",
		.message_id = "d5976c784b1b4bd5954c32905c01b9ad",
		.priority = LOG_ERR,
	},
	[EVENT_SESSION_TERMINATED] = {
		.name = "session.terminated",
		.message_id = "ad73b35d936947a39ece7370361e2de3",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_SUDO] = {
		.name = "privilege.sudo",
		.message_id = "d68e3e6222fb457aa35411039843fbd4",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_SU] = {
		.name = "privilege.su",
		.message_id = "7275e1aa20b944568051e801a479da7e",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_PKEXEC] = {
		.name = "privilege.pkexec",
		.message_id = "01d22dcb0dee48e8b6b25397516c0a88",
		.priority = LOG_NOTICE,
	},
	[EVENT_AUTH_FAILED] = {
		.name = "auth.failed",
		.message_id = "9ada1fdb23e449baa6c3daeaf848ed62",
		.priority = LOG_WARNING,
	},
	[EVENT_AUTH_BURST] = {
		.name = "auth.burst",
		.message_id = "133da7efa92346b4a38ab7c1942ecc3c",
		.priority = LOG_WARNING,
	},
	[EVENT_ACCOUNT_CHANGED] = {
		.name = "account.changed",
		.message_id = "7490b5fd615b4dbdb1dda11e9c82fe11",
		.priority = LOG_NOTICE,
	},
	[EVENT_FILE_CHANGED] = {
		.name = "file.changed",
		.message_id = "f8e4d1b640bc418085ba3e738ad9df83",
		.priority = LOG_NOTICE,
	},
	[EVENT_AUDIT_RULES_CHANGED] = {
		.name = "audit.rules_changed",
		.message_id = "cebfb741761d4efb9567052a781e6777",
		.priority = LOG_WARNING,
	},
	[EVENT_AUDIT_LOST] = {
		.name = "audit.lost",
		.message_id = "6b07e48bec804c7aaf6500e6e9ade303",
		.priority = LOG_WARNING,
	},
	[EVENT_DISPENSATION_GRANTED] = {
		.name = "dispensation.granted",
		.message_id = "121035a2aa0f434d8cc082290773cfe0",
		.priority = LOG_NOTICE,
	},
	[EVENT_DISPENSATION_REVOKED] = {
		.name = "dispensation.revoked",
		.message_id = "3d363e7348d74157979111c8a3e70ae8",
		.priority = LOG_NOTICE,
	},
	[EVENT_DISPENSATION_EXPIRED] = {
		.name = "dispensation.expired",
		.message_id = "9554ee4a2cba43fdbaadd6b89be84222",
		.priority = LOG_INFO,
	},
	[EVENT_POLICY_LOADED] = {
		.name = "policy.loaded",
		.message_id = "0a9e0a015dac4b90834c027a1cef210e",
		.priority = LOG_INFO,
	},
	[EVENT_POLICY_INVALID] = {
		.name = "policy.invalid",
		.message_id = "88e48adea53f4f5ca97d646459a43578",
		.priority = LOG_WARNING,
	},
	[EVENT_PRIVILEGE_MOUNT] = {
		.name = "privilege.mount",
		.message_id = "006a4800933d48eda1c0307a0197976a",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_MODULE] = {
		.name = "privilege.module",
		.message_id = "3abeaaa02ec847899e8b3257e2112b9a",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_SETUID] = {
		.name = "privilege.setuid",
		.message_id = "af96e3541ecd4d5ebc0d74c5e5205a14",
		.priority = LOG_NOTICE,
	},
	[EVENT_INPUT_BLOCKED] = {
		.name = "input.blocked",
		.message_id = "0b74fcb4d5264d0589f837a3fecf78f3",
		.priority = LOG_NOTICE,
	},
	[EVENT_PRIVILEGE_ROOT_COMMAND] = {
		.name = "privilege.root_command",
		.message_id = "d4d004d6de7b4a2da7b07bb8b3577c3b",
		.priority = LOG_NOTICE,
	},
	[EVENT_AUDIT_LOGINUID_CHANGED] = {
		.name = "audit.loginuid_changed",
		.message_id = "bcd7ed6dbc3c4f3385252ed7702da69e",
		.priority = LOG_WARNING,
	},
	[EVENT_AUDIT_RULES_RESTORED] = {
		.name = "audit.rules_restored",
		.message_id = "ecf0a0e67aa743039c268461d35a9aca",
		.priority = LOG_NOTICE,
	},
	[EVENT_AUDIT_DISABLED] = {
		.name = "audit.disabled",
		.message_id = "c0d0e803d74d41beb3d885c34ec014cc",
		.priority = LOG_WARNING,
	},
	[EVENT_VAKT_STOPPED] = {
		.name = "vakt.stopped",
		.message_id = "b435ae832a33422f9fc7fae716baa81a",
		.priority = LOG_WARNING,
	},
	[EVENT_VAKT_STARTED] = {
		.name = "vakt.started",
		.message_id = "e0424e659d794720bd1993a1bbffe0e0",
		.priority = LOG_INFO,
	},
};

const struct event_info *event_info(enum event_id id)
{
	if ((unsigned)id >= _EVENT_MAX)
		return NULL;
	return &event_table[id];
}

enum event_part event_part(enum event_id id)
{
	switch (id) {
	case EVENT_STORAGE_BLOCKED:
	case EVENT_STORAGE_ALLOWED:
	case EVENT_STORAGE_READ_ONLY:
	case EVENT_STORAGE_REMOVED:
	case EVENT_DISPENSATION_GRANTED:
	case EVENT_DISPENSATION_REVOKED:
	case EVENT_DISPENSATION_EXPIRED:
	case EVENT_INPUT_BLOCKED:
		return EVENT_PART_STORAGE;
	case EVENT_SESSION_LOCKED:
	case EVENT_SESSION_LOCK_FAILED:
	case EVENT_SESSION_TERMINATED:
		return EVENT_PART_IDLE;
	case EVENT_PRIVILEGE_SUDO:
	case EVENT_PRIVILEGE_SU:
	case EVENT_PRIVILEGE_PKEXEC:
	case EVENT_AUTH_FAILED:
	case EVENT_AUTH_BURST:
	case EVENT_ACCOUNT_CHANGED:
	case EVENT_FILE_CHANGED:
	case EVENT_AUDIT_RULES_CHANGED:
	case EVENT_AUDIT_LOST:
	case EVENT_PRIVILEGE_MOUNT:
	case EVENT_PRIVILEGE_MODULE:
	case EVENT_PRIVILEGE_SETUID:
	case EVENT_PRIVILEGE_ROOT_COMMAND:
	case EVENT_AUDIT_LOGINUID_CHANGED:
	case EVENT_AUDIT_RULES_RESTORED:
	case EVENT_AUDIT_DISABLED:
		return EVENT_PART_AUDIT;
	case EVENT_POLICY_LOADED:
	case EVENT_POLICY_INVALID:
	case EVENT_VAKT_STOPPED:
	case EVENT_VAKT_STARTED:
	case _EVENT_MAX:
	case _EVENT_INVALID:
		break;
	}
	return EVENT_PART_VAKT;
}

int event_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(event_table); i++)
		if (streq(event_table[i].name, name))
			return (int)i;
	return -ENOENT;
}
