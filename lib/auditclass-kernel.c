/*
 * Kernel events: what a system call did, decided from the call (its name from libaudit for the
 * record's arch), its arguments, its result and the PATH records; the rule key only where those
 * cannot decide. See auditclass.h and auditclass-internal.h.
 *
 * snprintf(), memcpy() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#include <inttypes.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditclass-internal.h"

/* What a system call does, as far as vakt cares. */
enum sc_what {
	SC_OPEN,   /* writes when its flags say so */
	SC_WRITE,  /* changes contents or names: creates, removes, renames, truncates */
	SC_ATTR,   /* changes attributes: mode, owner, extended attributes, times */
	SC_MOUNT,  /* mounts or unmounts */
	SC_MODULE, /* loads or removes a kernel module */
	SC_EXEC,
};

struct syscall_info {
	/* cppcheck-suppress unusedStructMember ; read by syscall_cmp() through bsearch() */
	const char *name;
	enum sc_what what;
	int flags_arg;	 /* SC_OPEN: the argument holding the open flags (a1, a2); -1: none */
	unsigned dirfds; /* bit i: argument ai is a directory descriptor for a relative name */
};

/* Sorted by name (bsearch). Names as libaudit spells them, for every arch it knows. */
static const struct syscall_info syscalls[] = {
	{ "chmod", SC_ATTR, -1, 0 },
	{ "chown", SC_ATTR, -1, 0 },
	{ "chown32", SC_ATTR, -1, 0 },
	{ "creat", SC_WRITE, -1, 0 },
	{ "delete_module", SC_MODULE, -1, 0 },
	{ "execve", SC_EXEC, -1, 0 },
	{ "execveat", SC_EXEC, -1, 1 << 0 },
	{ "fchmod", SC_ATTR, -1, 0 },
	{ "fchmodat", SC_ATTR, -1, 1 << 0 },
	{ "fchmodat2", SC_ATTR, -1, 1 << 0 },
	{ "fchown", SC_ATTR, -1, 0 },
	{ "fchown32", SC_ATTR, -1, 0 },
	{ "fchownat", SC_ATTR, -1, 1 << 0 },
	{ "finit_module", SC_MODULE, -1, 0 },
	{ "fremovexattr", SC_ATTR, -1, 0 },
	{ "fsetxattr", SC_ATTR, -1, 0 },
	{ "fsmount", SC_MOUNT, -1, 0 },
	{ "ftruncate", SC_WRITE, -1, 0 },
	{ "ftruncate64", SC_WRITE, -1, 0 },
	{ "futimesat", SC_ATTR, -1, 1 << 0 },
	{ "init_module", SC_MODULE, -1, 0 },
	{ "lchown", SC_ATTR, -1, 0 },
	{ "lchown32", SC_ATTR, -1, 0 },
	{ "link", SC_WRITE, -1, 0 },
	{ "linkat", SC_WRITE, -1, 1 << 0 | 1 << 2 },
	{ "lremovexattr", SC_ATTR, -1, 0 },
	{ "lsetxattr", SC_ATTR, -1, 0 },
	{ "mkdir", SC_WRITE, -1, 0 },
	{ "mkdirat", SC_WRITE, -1, 1 << 0 },
	{ "mknod", SC_WRITE, -1, 0 },
	{ "mknodat", SC_WRITE, -1, 1 << 0 },
	{ "mount", SC_MOUNT, -1, 0 },
	{ "mount_setattr", SC_MOUNT, -1, 0 },
	{ "move_mount", SC_MOUNT, -1, 0 },
	{ "open", SC_OPEN, 1, 0 },
	{ "open_by_handle_at", SC_OPEN, 2, 0 },
	{ "openat", SC_OPEN, 2, 1 << 0 },
	{ "openat2", SC_OPEN, -1, 1 << 0 }, /* flags in the OPENAT2 record */
	{ "removexattr", SC_ATTR, -1, 0 },
	{ "removexattrat", SC_ATTR, -1, 1 << 0 },
	{ "rename", SC_WRITE, -1, 0 },
	{ "renameat", SC_WRITE, -1, 1 << 0 | 1 << 2 },
	{ "renameat2", SC_WRITE, -1, 1 << 0 | 1 << 2 },
	{ "rmdir", SC_WRITE, -1, 0 },
	{ "setxattr", SC_ATTR, -1, 0 },
	{ "setxattrat", SC_ATTR, -1, 1 << 0 },
	{ "symlink", SC_WRITE, -1, 0 },
	{ "symlinkat", SC_WRITE, -1, 1 << 1 },
	{ "truncate", SC_WRITE, -1, 0 },
	{ "truncate64", SC_WRITE, -1, 0 },
	{ "umount", SC_MOUNT, -1, 0 },
	{ "umount2", SC_MOUNT, -1, 0 },
	{ "unlink", SC_WRITE, -1, 0 },
	{ "unlinkat", SC_WRITE, -1, 1 << 0 },
	{ "utime", SC_ATTR, -1, 0 },
	{ "utimensat", SC_ATTR, -1, 1 << 0 },
	{ "utimes", SC_ATTR, -1, 0 },
};

/* The open flags vakt reads, as most architectures define them (x86, arm, arm64, powerpc, s390,
 * riscv; alpha, mips, parisc and sparc differ and are read with these values too). */
#define FLAG_ACCMODE 03
#define FLAG_CREAT   0100
#define FLAG_TRUNC   01000
#define AT_FDCWD_U32 UINT32_C(0xffffff9c) /* -100 */
#define EXIT_EPERM   "-1"
#define EXIT_EACCES  "-13"

static int syscall_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct syscall_info *)elem)->name);
}

/* The name of the system call of sc, from libaudit for the record's arch; NULL when unknown. */
static const char *syscall_name(const struct auditrec *sc)
{
	uint64_t arch, nr;
	int machine;

	if (auditrec_field_uint(auditrec_find(sc, "arch"), 16, &arch) < 0 || arch > UINT32_MAX ||
	    auditrec_field_uint(auditrec_find(sc, "syscall"), 10, &nr) < 0 || nr > INT32_MAX)
		return NULL;
	machine = audit_elf_to_machine((unsigned)arch);
	if (machine < 0)
		return NULL;
	return audit_syscall_to_name((int)nr, machine);
}

static const struct syscall_info *syscall_info(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, syscalls, ELEMENTSOF(syscalls), sizeof(syscalls[0]), syscall_cmp);
}

/* Argument ai of sc (hex), or false. */
static bool syscall_arg(const struct auditrec *sc, int i, uint64_t *ret_value)
{
	char name[16];

	(void)snprintf(name, sizeof(name), "a%d", i);
	return auditrec_field_uint(auditrec_find(sc, name), 16, ret_value) >= 0;
}

static bool succeeded(const struct auditrec *sc)
{
	return auditrec_field_eq(auditrec_find(sc, "success"), "yes");
}

/* A failure that is a refusal by the kernel (EACCES, EPERM): an attempt worth recording. Other
 * failures (ENOENT, EEXIST, EBUSY, ...) changed nothing and refused no one. */
static bool refused(const struct auditrec *sc)
{
	const struct auditrec_field *ex = auditrec_find(sc, "exit");

	return auditrec_field_eq(ex, EXIT_EACCES) || auditrec_field_eq(ex, EXIT_EPERM);
}

static bool is_person(uint32_t auid)
{
	return auid != AUDITREC_UNSET && auid != 0;
}

/* ---- Commands ----------------------------------------------------------------------------- */

/* Appends s to cmd (length *len, COMMAND_MAX bytes), with a space before unless first. */
static void command_append(char *cmd, size_t *len, const char *s, bool first)
{
	int n = snprintf(cmd + *len, AUDITCLASS_COMMAND_MAX - *len, "%s%s", first ? "" : " ", s);

	if (n > 0)
		*len += (size_t)n < AUDITCLASS_COMMAND_MAX - *len
				? (size_t)n
				: AUDITCLASS_COMMAND_MAX - *len - 1;
}

/* The field called name in any EXECVE record of ev (arguments continue over several). */
static const struct auditrec_field *execve_field(const struct auditasm_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->n_records; i++) {
		const struct auditrec_field *f;

		if (ev->records[i].type != AUDITREC_TYPE_EXECVE)
			continue;
		f = auditrec_find(&ev->records[i], name);
		if (f)
			return f;
	}
	return NULL;
}

/* Argument i of an exec, whole: aN, or aN_len with its pieces aN[0], aN[1], ... (in one or more
 * EXECVE records, each piece quoted or hex on its own). Appends it to cmd. */
static bool command_arg(const struct auditasm_event *ev, uint64_t i, char *cmd, size_t *len)
{
	const struct auditrec_field *f;
	char name[48], piece[AUDITCLASS_STRING_MAX];

	(void)snprintf(name, sizeof(name), "a%" PRIu64, i);
	f = execve_field(ev, name);
	if (f) {
		(void)auditrec_field_string(f, piece, sizeof(piece));
		command_append(cmd, len, piece, i == 0);
		return true;
	}
	for (unsigned k = 0;; k++) {
		(void)snprintf(name, sizeof(name), "a%" PRIu64 "[%u]", i, k);
		f = execve_field(ev, name);
		if (!f)
			return k > 0;
		(void)auditrec_field_string(f, piece, sizeof(piece));
		/* A space before the argument, none between its pieces. */
		command_append(cmd, len, piece, i == 0 || k > 0);
	}
}

/* EXECVE a0..aN joined with spaces, each argument reassembled from its pieces; else the
 * proctitle. Cut at COMMAND_MAX. */
static char *event_command(struct auditclass *c, const struct auditasm_event *ev)
{
	const struct auditrec_field *argc_field = execve_field(ev, "argc");
	char cmd[AUDITCLASS_COMMAND_MAX];
	size_t len = 0;
	uint64_t argc;

	if (!argc_field || auditrec_field_uint(argc_field, 10, &argc) < 0)
		return auditclass_field_dup(
			c, auditasm_event_find(ev, AUDITREC_TYPE_PROCTITLE), "proctitle", true);
	cmd[0] = '\0';
	for (uint64_t i = 0; i < argc && len + 1 < sizeof(cmd); i++)
		if (!command_arg(ev, i, cmd, &len))
			break;
	return auditclass_strdup(c, cmd);
}

/* ---- Files -------------------------------------------------------------------------------- */

static bool has_nametype(const struct auditasm_event *ev, const char *nametype)
{
	for (size_t i = 0; i < ev->n_records; i++)
		if (ev->records[i].type == AUDITREC_TYPE_PATH &&
		    auditrec_field_eq(auditrec_find(&ev->records[i], "nametype"), nametype))
			return true;
	return false;
}

/* Octal with a leading 0, as the OPENAT2 record writes oflag=. */
static bool parse_octal(const struct auditrec_field *f, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (!f || f->value_len == 0 || f->value_len > 22)
		return false;
	for (size_t i = 0; i < f->value_len; i++) {
		if (f->value[i] < '0' || f->value[i] > '7')
			return false;
		v = v * 8 + (uint64_t)(f->value[i] - '0');
	}
	*ret_value = v;
	return true;
}

/* Whether an open writes: write access, truncation, or a file created. */
static bool open_writes(const struct auditasm_event *ev,
			const struct auditrec *sc,
			const struct syscall_info *info)
{
	uint64_t flags;

	if (info->flags_arg >= 0) {
		if (!syscall_arg(sc, info->flags_arg, &flags))
			return false;
	} else if (!parse_octal(auditrec_find(auditasm_event_find(ev, 1337 /* OPENAT2 */), "oflag"),
				&flags))
		return false;
	if ((flags & FLAG_ACCMODE) != 0 || (flags & FLAG_TRUNC))
		return true;
	return (flags & FLAG_CREAT) && has_nametype(ev, "CREATE");
}

/* Whether relative names of sc are relative to the working directory (all its directory
 * descriptor arguments are AT_FDCWD). */
static bool names_from_cwd(const struct auditrec *sc, const struct syscall_info *info)
{
	for (int i = 0; info && i < 4; i++) {
		uint64_t fd;

		if ((info->dirfds & (1u << i)) &&
		    (!syscall_arg(sc, i, &fd) || (uint32_t)fd != AT_FDCWD_U32))
			return false;
	}
	return true;
}

/*
 * The watched file an event is about: a PATH record's name (made absolute with CWD, normalized)
 * that is watched; a name that is not a PARENT is preferred. Writes it to buf. Returns false when
 * none is watched.
 */
static bool watched_path(struct auditclass *c,
			 const struct auditasm_event *ev,
			 const struct auditrec *sc,
			 const struct syscall_info *info,
			 char *buf,
			 size_t size)
{
	_cleanup_free_ char *cwd = NULL;
	bool from_cwd = names_from_cwd(sc, info), found = false;
	char name[AUDITCLASS_STRING_MAX], path[AUDITCLASS_STRING_MAX];

	for (size_t i = 0; i < ev->n_records; i++) {
		const struct auditrec *r = &ev->records[i];
		const struct auditrec_field *f;
		bool parent;

		if (r->type != AUDITREC_TYPE_PATH)
			continue;
		f = auditrec_find(r, "name");
		if (!f)
			continue;
		(void)auditrec_field_string(f, name, sizeof(name));
		if (name[0] != '/' && !from_cwd)
			continue; /* relative to a directory the records do not name */
		if (name[0] != '/' && !cwd) {
			cwd = auditclass_field_dup(
				c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
			if (!cwd)
				continue;
		}
		if (!auditclass_path_normalize(cwd, name, path, sizeof(path)) ||
		    !auditclass_watched(c, path))
			continue;
		parent = auditrec_field_eq(auditrec_find(r, "nametype"), "PARENT");
		if (!found || !parent)
			(void)snprintf(buf, size, "%s", path);
		found = true;
		if (!parent)
			break;
	}
	return found;
}

/* The first PATH name that is not a PARENT (else the first), made absolute with CWD. */
static char *event_path(struct auditclass *c, const struct auditasm_event *ev)
{
	const struct auditrec *path = NULL;
	_cleanup_free_ char *name = NULL, *dir = NULL;
	char buf[AUDITCLASS_STRING_MAX];

	for (size_t i = 0; i < ev->n_records; i++) {
		const struct auditrec *r = &ev->records[i];

		if (r->type != AUDITREC_TYPE_PATH)
			continue;
		if (!path)
			path = r;
		if (!auditrec_field_eq(auditrec_find(r, "nametype"), "PARENT")) {
			path = r;
			break;
		}
	}
	name = auditclass_field_dup(c, path, "name", true);
	if (!name || name[0] == '/')
		return TAKE_PTR(name);
	dir = auditclass_field_dup(c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
	if (!dir || !auditclass_path_normalize(dir, name, buf, sizeof(buf)))
		return TAKE_PTR(name);
	return auditclass_strdup(c, buf);
}

/* Whether path is one of the account databases (with their lock, backup and new copies). */
static bool is_account_database(const char *path)
{
	static const char *const names[] = {
		"passwd", "shadow",  "group",	"gshadow", "subuid",
		"subgid", "npasswd", "nshadow", "ngroup",  ".pwd.lock"
	};

	if (strncmp(path, "/etc/", 5) != 0 || strchr(path + 5, '/'))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strncmp(path + 5, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/* Whether exe is a program that writes its own account record (account.changed) for what it
 * writes to the account databases: that record says what happened. */
static bool is_account_tool(const char *exe)
{
	static const char *const tools[] = {
		"passwd",   "chpasswd", "chage",    "useradd", "usermod",  "userdel",
		"groupadd", "groupmod", "groupdel", "gpasswd", "newusers", "chgpasswd",
	};

	if (!exe || (strncmp(exe, "/usr/", 5) != 0 && strncmp(exe, "/bin/", 5) != 0 &&
		     strncmp(exe, "/sbin/", 6) != 0))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(tools); i++)
		if (auditclass_exe_is(exe, tools[i]))
			return true;
	return false;
}

/*
 * A write or attribute change of a watched path, or an attempt the kernel refused (EACCES,
 * EPERM): file.changed whatever rule caught it. Returns false when the event is none of that.
 */
static bool classify_file(struct auditclass *c,
			  const struct auditasm_event *ev,
			  const struct auditrec *sc,
			  const char *name,
			  const char *key)
{
	const struct syscall_info *info = syscall_info(name);
	struct auditclass_facts f;
	char path[AUDITCLASS_STRING_MAX];
	bool watched, hint;

	hint = auditclass_key_has_role(key, AUDITCLASS_KEY_WATCH) ||
	       auditclass_key_has_role(key, AUDITCLASS_KEY_AUDIT_CONFIG);
	/* A read, even refused, changes nothing. vakt's own watch rules (-p wa) catch no reads. */
	if (!hint && info && info->what == SC_OPEN && !open_writes(ev, sc, info))
		return false;
	if (info && info->what != SC_OPEN && info->what != SC_WRITE && info->what != SC_ATTR)
		return false;
	if (!info && !hint)
		return false;
	if (!succeeded(sc) && !refused(sc))
		return false;
	watched = watched_path(c, ev, sc, info, path, sizeof(path));
	/* vakt's own watch rule names the file even where the records cannot (a name relative to
	 * a directory descriptor, a link): its key decides then. */
	if (!watched && !hint)
		return false;
	if (watched && succeeded(sc) && is_account_database(path)) {
		_cleanup_free_ char *exe = auditclass_field_dup(c, sc, "exe", true);

		if (is_account_tool(exe))
			return true; /* part of the account change that tool reports */
	}

	auditclass_facts_common(c, &f, AUDITCLASS_FILE_CHANGED, sc);
	f.attribute_change = info && info->what == SC_ATTR;
	f.file = watched ? auditclass_strdup(c, path) : event_path(c, ev);
	(void)auditrec_id_format(&ev->id, f.audit_id);
	if (name) {
		free(f.op); /* a syscall's name, not a record's op= */
		f.op = auditclass_strdup(c, name);
	}
	f.command = event_command(c, ev);
	f.cwd = auditclass_field_dup(c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
	auditclass_ready_push(c, &f);
	return true;
}

/* ---- Mounts and modules ------------------------------------------------------------------- */

/*
 * A mount or unmount is privileged activity when a person's process did it with root's rights:
 *   - the audit uid is unset: system plumbing (systemd, udisks) no one can be named for;
 *   - euid is not 0: the kernel refused it (a person's systemd --user manager tries to unmount
 *     under /run/user/UID at every login), or it happened in the person's own user namespace
 *     (unshare -rm, bwrap, flatpak), which gives no rights over the host; a setuid mount program
 *     (mount, umount) runs with euid 0 and so counts, refused or not;
 *   - fusermount and fusermount3 (setuid root) mount FUSE file systems for a person, only on
 *     directories they own, always nosuid and nodev: the unprivileged mount path, not privilege.
 */
static bool mount_is_privileged(struct auditclass *c, const struct auditrec *sc)
{
	_cleanup_free_ char *exe = NULL;

	if (!is_person(auditclass_field_u32(sc, "auid")) || auditclass_field_u32(sc, "euid") != 0)
		return false;
	exe = auditclass_field_dup(c, sc, "exe", true);
	return !auditclass_exe_is(exe, "fusermount") && !auditclass_exe_is(exe, "fusermount3");
}

static void classify_mount_module(struct auditclass *c,
				  const struct auditasm_event *ev,
				  const struct auditrec *sc,
				  enum auditclass_kind kind,
				  const char *name)
{
	const struct auditrec *mod = auditasm_event_find(ev, AUDITREC_TYPE_KERN_MODULE);
	struct auditclass_facts f;

	auditclass_facts_common(c, &f, kind, sc ? sc : mod);
	(void)auditrec_id_format(&ev->id, f.audit_id);
	if (name) {
		free(f.op); /* a syscall's name, not a record's op= */
		f.op = auditclass_strdup(c, name);
	}
	if (kind == AUDITCLASS_MODULE)
		f.file = mod ? auditclass_field_dup(c, mod, "name", true) : NULL;
	else
		f.file = event_path(c, ev);
	f.command = event_command(c, ev);
	f.cwd = auditclass_field_dup(c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
	auditclass_ready_push(c, &f);
}

/* ---- Execs: setuid programs, root shells and their commands --------------------------------- */

/* Whether exe is name in a system program directory. */
static bool exe_is_system(const char *exe, const char *name)
{
	static const char *const dirs[] = { "/usr/bin/",	 "/bin/",
					    "/usr/sbin/",	 "/sbin/",
					    "/usr/libexec/",	 "/usr/lib/polkit-1/",
					    "/usr/lib/dbus-1.0/" };
	size_t n = strlen(name), len = exe ? strlen(exe) : 0;

	if (len <= n || !auditclass_exe_is(exe, name))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (strlen(dirs[i]) == len - n && strncmp(exe, dirs[i], len - n) == 0)
			return true;
	return false;
}

/* setuid-root programs whose effect another record reports: sudo, su, pkexec (privilege.*),
 * passwd and gpasswd (account.changed), chfn and chsh (file.changed of /etc/passwd, watched by
 * default; they write no account record of their own), mount & co. (privilege.mount for the system
 * call they make), polkit's and D-Bus's helpers (authentication records); newgrp gives a member
 * the group they are in already. */
static bool is_self_reporting(const char *exe)
{
	static const char *const names[] = {
		"sudo",
		"su",
		"pkexec",
		"passwd",
		"chfn",
		"chsh",
		"gpasswd",
		"newgrp",
		"mount",
		"umount",
		"fusermount",
		"fusermount3",
		"ntfs-3g",
		"polkit-agent-helper-1",
		"dbus-daemon-launch-helper",
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (exe_is_system(exe, names[i]))
			return true;
	return false;
}

/* Whether the exec of ev starts an interactive shell: a shell program whose arguments name no
 * script and no command (-c): "-bash" (a login shell), "bash", "bash -i", "bash --login", "sh -s".
 */
static bool starts_interactive_shell(const struct auditasm_event *ev, const char *exe)
{
	static const char *const shells[] = { "bash", "sh",   "dash", "zsh", "ksh",
					      "mksh", "fish", "tcsh", "csh" };
	const struct auditrec_field *argc_field = execve_field(ev, "argc");
	bool shell = false;
	uint64_t argc;

	for (size_t i = 0; i < ELEMENTSOF(shells) && !shell; i++)
		shell = auditclass_exe_is(exe, shells[i]);
	if (!shell || !argc_field || auditrec_field_uint(argc_field, 10, &argc) < 0)
		return false;
	for (uint64_t i = 1; i < argc; i++) {
		char name[32], arg[64];
		const struct auditrec_field *f;

		(void)snprintf(name, sizeof(name), "a%" PRIu64, i);
		f = execve_field(ev, name);
		if (!f)
			return false; /* an argument too long to be an option */
		(void)auditrec_field_string(f, arg, sizeof(arg));
		if (arg[0] != '-')
			return false; /* a script */
		if (arg[1] != '-' && strchr(arg, 'c'))
			return false; /* -c, -ec, -lc: a command */
	}
	return true;
}

static struct auditclass_shell *shell_find(struct auditclass *c, uint32_t pid, uint32_t auid)
{
	for (size_t i = 0; i < AUDITCLASS_SHELLS_MAX; i++)
		if (c->shells[i].pid == pid && pid != 0 && c->shells[i].auid == auid)
			return &c->shells[i];
	return NULL;
}

static void shell_add(struct auditclass *c, uint32_t pid, uint32_t auid, uint32_t ses)
{
	if (shell_find(c, pid, auid))
		return;
	c->shells[c->shells_next] =
		(struct auditclass_shell){ .pid = pid, .auid = auid, .ses = ses };
	c->shells_next = (c->shells_next + 1) % AUDITCLASS_SHELLS_MAX;
}

/* Whether pid, a child of shell_pid, was reported already; remembers it otherwise. */
static bool child_seen(struct auditclass *c, uint32_t pid, uint32_t shell_pid)
{
	for (size_t i = 0; i < AUDITCLASS_CHILDREN_MAX; i++)
		if (c->children[i].pid == pid && c->children[i].shell_pid == shell_pid)
			return true;
	c->children[c->children_next] =
		(struct auditclass_child){ .pid = pid, .shell_pid = shell_pid };
	c->children_next = (c->children_next + 1) % AUDITCLASS_CHILDREN_MAX;
	return false;
}

static void push_exec(struct auditclass *c,
		      const struct auditasm_event *ev,
		      const struct auditrec *sc,
		      enum auditclass_kind kind,
		      const char *name)
{
	struct auditclass_facts f;

	auditclass_facts_common(c, &f, kind, sc);
	(void)auditrec_id_format(&ev->id, f.audit_id);
	free(f.op);
	f.op = auditclass_strdup(c, name);
	if (kind == AUDITCLASS_SETUID)
		f.file = f.exe ? auditclass_strdup(c, f.exe) : NULL;
	f.command = event_command(c, ev);
	f.cwd = auditclass_field_dup(c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
	auditclass_ready_push(c, &f);
}

/*
 * A successful exec by a person (audit uid set, not root's 0) with root's rights (euid 0):
 *   - uid is not 0: a setuid-root program (privilege.setuid), unless it reports itself;
 *   - uid 0: a root shell's command when the parent is a person's interactive root shell we saw
 *     start (sudo -i, sudo -s, su -, sudo su -, or a shell started in one): privilege.root_command,
 *     once per process (env then bash in one process is one command). What a command starts in
 *     turn is not a command of the shell: `apt upgrade` typed in a root shell is one record, not
 *     the thousands of execs of its maintainer scripts; and sudo's own commands are children of
 *     sudo, reported by sudo's record. The shell's start-up files run commands too (Debian's
 *     /etc/profile `id -u`, root's .profile `mesg n`): they are the shell's commands, recorded.
 *     The root shell itself is not recorded here: sudo's or su's record says it was opened.
 */
static void classify_exec(struct auditclass *c,
			  const struct auditasm_event *ev,
			  const struct auditrec *sc,
			  const char *name)
{
	uint32_t auid = auditclass_field_u32(sc, "auid"), pid, ppid;
	_cleanup_free_ char *exe = NULL;

	/* Cheapest checks first: nearly every exec is not one of these. */
	if (auditclass_field_u32(sc, "euid") != 0 || !is_person(auid) || !succeeded(sc))
		return;
	exe = auditclass_field_dup(c, sc, "exe", true);
	if (auditclass_field_u32(sc, "uid") != 0) {
		if (!is_self_reporting(exe))
			push_exec(c, ev, sc, AUDITCLASS_SETUID, name);
		return;
	}
	pid = auditclass_field_u32(sc, "pid");
	ppid = auditclass_field_u32(sc, "ppid");
	if (shell_find(c, ppid, auid) && !child_seen(c, pid, ppid))
		push_exec(c, ev, sc, AUDITCLASS_ROOT_COMMAND, name);
	if (starts_interactive_shell(ev, exe))
		shell_add(c, pid, auid, auditclass_field_u32(sc, "ses"));
}

/* ---- Dispatch ----------------------------------------------------------------------------- */

void auditclass_kernel(struct auditclass *c,
		       const struct auditasm_event *ev,
		       const struct auditrec *sc)
{
	const char *name = sc ? syscall_name(sc) : NULL;
	const struct syscall_info *info = syscall_info(name);
	const struct auditrec_field *key_field = sc ? auditrec_find(sc, "key") : NULL;
	char key[256];

	if (!sc || auditasm_event_find(ev, AUDITREC_TYPE_KERN_MODULE) ||
	    (info && info->what == SC_MODULE)) {
		classify_mount_module(c, ev, sc, AUDITCLASS_MODULE, name);
		return;
	}
	if (info && info->what == SC_EXEC) {
		classify_exec(c, ev, sc, name);
		return;
	}
	if (info && info->what == SC_MOUNT) {
		if (mount_is_privileged(c, sc))
			classify_mount_module(c, ev, sc, AUDITCLASS_MOUNT, name);
		return;
	}
	/* Decoded on the stack: most events classify as nothing, and allocate nothing. */
	key[0] = '\0';
	if (key_field)
		(void)auditrec_field_string(key_field, key, sizeof(key));
	if (classify_file(c, ev, sc, name, key) || info)
		return;
	/* A system call libaudit cannot name (an arch it does not know): the key decides. */
	if (auditclass_key_has_role(key, AUDITCLASS_KEY_MODULE))
		classify_mount_module(c, ev, sc, AUDITCLASS_MODULE, NULL);
	else if (auditclass_key_has_role(key, AUDITCLASS_KEY_MOUNT))
		classify_mount_module(c, ev, sc, AUDITCLASS_MOUNT, NULL);
}

/* ---- Audit uids and the audit configuration ------------------------------------------------ */

/*
 * LOGIN: the kernel's record of a write to /proc/PID/loginuid. Setting an unset audit uid is a
 * login (pam_loginuid) and only moves the root shells along; replacing one that was set (only root
 * can, unless login uids are immutable) charges the process's later actions to someone else:
 * audit.loginuid_changed, the person being the old audit uid, and refused attempts too (res=0).
 */
void auditclass_loginuid(struct auditclass *c,
			 const struct auditasm_event *ev,
			 const struct auditrec *login)
{
	const struct auditrec *sc = auditasm_event_find(ev, AUDITREC_TYPE_SYSCALL);
	uint32_t old = auditclass_field_u32(login, "old-auid"),
		 new = auditclass_field_u32(login, "auid");
	uint32_t pid = auditclass_field_u32(login, "pid");
	struct auditclass_shell *shell = shell_find(c, pid, old);
	struct auditclass_facts f;

	auditclass_facts_common(c, &f, AUDITCLASS_LOGINUID_CHANGED, login);
	if (shell && f.success) {
		/* Its commands are now charged to the new audit uid: still recorded. */
		shell->auid = new;
		shell->ses = auditclass_field_u32(login, "ses");
	}
	if (old == AUDITREC_UNSET || old == new) {
		auditclass_facts_done(&f);
		return;
	}
	f.auid = old;
	f.ses = auditclass_field_u32(login, "old-ses");
	f.target_id = new;
	f.target_ses = auditclass_field_u32(login, "ses");
	if (sc) {
		free(f.comm);
		free(f.exe);
		f.comm = auditclass_field_dup(c, sc, "comm", true);
		f.exe = auditclass_field_dup(c, sc, "exe", true);
		f.euid = auditclass_field_u32(sc, "euid");
		f.ppid = auditclass_field_u32(sc, "ppid");
	}
	f.command = auditclass_field_dup(
		c, auditasm_event_find(ev, AUDITREC_TYPE_PROCTITLE), "proctitle", true);
	(void)auditrec_id_format(&ev->id, f.audit_id);
	auditclass_ready_push(c, &f);
}

void auditclass_config_change(struct auditclass *c,
			      const struct auditasm_event *ev,
			      const struct auditrec *cc,
			      const struct auditrec *sc)
{
	const struct auditrec_field *enabled = auditrec_find(cc, "audit_enabled");
	const struct auditrec_field *old = auditrec_find(cc, "old");
	struct auditclass_facts f;

	/* "op=set audit_enabled=1 old=1" changes nothing. */
	if (enabled && old && enabled->value_len == old->value_len &&
	    memcmp(enabled->value, old->value, old->value_len) == 0)
		return;

	auditclass_facts_common(c, &f, AUDITCLASS_RULES_CHANGED, sc ? sc : cc);
	free(f.op);
	f.op = auditclass_field_dup(c, cc, "op", false);
	free(f.key);
	f.key = auditclass_field_dup(c, cc, "key", true);
	auditclass_set_result(&f, cc);
	f.auid = auditclass_field_u32(cc, "auid");
	if (auditclass_field_u32(cc, "ses") != AUDITREC_UNSET)
		f.ses = auditclass_field_u32(cc, "ses");
	(void)auditrec_id_format(&ev->id, f.audit_id);
	if (enabled) {
		char what[128], v[32], o[32] = "";

		(void)auditrec_field_raw(enabled, v, sizeof(v));
		if (old)
			(void)auditrec_field_raw(old, o, sizeof(o));
		(void)snprintf(what,
			       sizeof(what),
			       "audit_enabled=%s%s%s",
			       v,
			       old ? " old=" : "",
			       old ? o : "");
		f.command = auditclass_strdup(c, what);
	}
	auditclass_ready_push(c, &f);
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
