#include "nss.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

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
