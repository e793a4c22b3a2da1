#pragma once

/*
 * The last valid policy, kept under the state directory (--state-dir, /var/lib/vakt) so that a
 * policy made invalid in /etc does not leave the machine with no policy at the next start:
 * manager.c then enforces this copy instead (see vaktd(8), POLICY AT START). Layout:
 *
 *   STATE_DIR/policy            symlink to the current copy, replaced atomically by rename(2)
 *   STATE_DIR/policy.XXXXXX/    one copy: vakt.conf and vakt.conf.d/NAME.conf, mode 0600
 *
 * A copy is complete or absent: its files are written and fsync'd in a new directory, checked by
 * loading them, and only then does the symlink move to it. The copy is loaded with config_load(),
 * the same loader as --config, so records of a policy running from it name the copy's
 * FILE:LINE (STATE_DIR/policy/vakt.conf:12), where that rule really is written now.
 */

struct config;

/*
 * Saves a copy of the files c was loaded from (c->files: the main file, then its drop-ins), unless
 * c has no files (the built-in default). Logs a warning on failure, including when the files
 * changed while they were copied so that the copy no longer loads; the previous copy then stays.
 * Returns 0 or -errno.
 */
int saved_policy_save(const char *state_dir, const struct config *c);

/*
 * Loads the saved copy. Returns 1 and *ret_config (caller frees) when it is valid, 0 when there is
 * none, or -errno with *reterr_messages (strv, caller frees: every problem as "FILE:LINE: message"
 * or "FILE: message") when it is there but unusable; -ENOMEM comes without messages.
 */
int saved_policy_load(const char *state_dir, struct config **ret_config, char ***reterr_messages);
