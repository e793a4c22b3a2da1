#include "nss.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "config.h"
#include "macro.h"
#include "strv.h"

#define MAX_GROUPS 1024

int nss_user_groups(const char *user, uid_t uid, char ***ret_groups)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ gid_t *gids = NULL;
	const struct passwd *pw;
	int n = MAX_GROUPS;

	pw = user ? getpwnam(user) : NULL;
	if (!pw || pw->pw_uid != uid)
		return -ENOENT;
	gids = calloc((size_t)n, sizeof(gid_t));
	if (!gids)
		return -ENOMEM;
	if (getgrouplist(user, pw->pw_gid, gids, &n) < 0)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		const struct group *g = getgrgid(gids[i]);
		int r;

		if (!g || !g->gr_name || strv_contains(names, g->gr_name))
			continue;
		r = strv_extend(&names, g->gr_name);
		if (r < 0)
			return r;
	}
	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	*ret_groups = TAKE_PTR(names);
	return 0;
}

static int
check_list(char *const *groups, const struct config_place *place, const char *key, char ***warnings)
{
	if (!place->file)
		return 0; /* the built-in default */
	for (size_t i = 0; groups && groups[i]; i++) {
		char *w = NULL;

		if (getgrnam(groups[i]))
			continue;
		if (asprintf(&w,
			     "%s:%u: warning: %s: no group '%s' on this machine (a typo grants or "
			     "exempts nobody)",
			     place->file,
			     place->line,
			     key,
			     groups[i]) < 0 ||
		    strv_consume(warnings, w) < 0)
			return -ENOMEM;
	}
	return 0;
}

int nss_unknown_groups(const struct config *c, char ***warnings)
{
	int r;

	r = check_list(c->storage.read_write_groups,
		       &c->storage.read_write_groups_place,
		       "read_write_groups",
		       warnings);
	if (r >= 0)
		r = check_list(c->storage.read_only_groups,
			       &c->storage.read_only_groups_place,
			       "read_only_groups",
			       warnings);
	if (r >= 0)
		r = check_list(c->vakt.admin_groups,
			       &c->vakt.admin_groups_place,
			       "admin_groups",
			       warnings);
	if (r >= 0)
		r = check_list(c->idle.exempt_groups,
			       &c->idle.exempt_groups_place,
			       "exempt_groups",
			       warnings);
	return r;
}
