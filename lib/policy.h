#pragma once

/*
 * The decisions for a USB device given the policy and the person at its seat: the storage
 * decision and, apart from it, the keyboard decision.
 *
 * Storage is what can store. Every function whose USB class is not harmless ([storage]
 * harmless_classes, see devid.h) gets the storage decision: mass storage, still image (PTP, MTP),
 * vendor-specific (Android MTP, Apple usbmux, card readers), and every class not listed. A
 * function of a harmless class (keyboard, mouse, hub, audio, printer, smart card, ...) is
 * authorised: policy_interface_action() says ALLOW for it, so a composite keyboard+storage device
 * keeps its keyboard. A device whose descriptors could not be parsed is treated as storage as a
 * whole (fail closed).
 *
 * Precedence for a storage device, first applicable step decides:
 *
 *   0. A disk appeared below a function judged harmless (devid_has_disk(): the daemon records
 *      it when the kernel shows a block device there): BLOCK (rule "harmless_classes"). The
 *      device is not what its descriptors said -- a driver matched it by vendor and product, or
 *      it lied -- so none of its claims (vendor, product, serial) can let it in. Its disk
 *      functions are blocked, its other functions stay as they were, until it is unplugged.
 *   1. while_locked = block and nobody is at the seat, or the seat's session is locked:
 *      BLOCK (rule "while_locked", place of the while_locked key). Nothing overrides it, not even
 *      a named rule: vendor, product and serial are claims the device makes about itself and are
 *      trivially forged, and a locked or empty seat means no person is there to be authorised,
 *      so this is the moment such a forgery would be used. Harmless functions are still
 *      authorised (one must be able to unlock). while_locked = policy skips this step.
 *   2. Otherwise every applicable grant is collected and the most permissive one wins
 *      (ALLOW > READ_ONLY > BLOCK):
 *        - the first named rule, in file order, whose given fields all match (vendor, product
 *          compared case-insensitively; serial exact; a field not given matches anything);
 *        - the person at the seat (present, groups known) in read_write_groups: ALLOW;
 *          else in read_only_groups: READ_ONLY;
 *        - default;
 *        - a written dispensation (lib/dispensation.h, policy_set_dispensations()) for the person
 *          at the seat -- present, known and unlocked -- and this device (or any device), not
 *          expired: its mode. It decides only when it grants more than the standing policy
 *          above: a dispensation is an exception for one person, it never takes a right away
 *          and is not reported when the policy already grants as much.
 *      Among grants giving the same action, the most specific one is reported: named rule, then
 *      group, then default (then dispensation, which only wins when strictly more permissive).
 *      A dispensation never overrides steps 0 and 1: a device that showed a disk below a
 *      harmless function is no longer the device it claimed to be, and a dispensation is for a
 *      person, so at a locked or empty seat there is nobody it could be for. There are no block
 *      rules in vakt (named rules allow or allow read-only), so nothing else can beat it.
 *      Why "most permissive": the sections are [storage.allow "..."], they grant rights and
 *      never take them away. Otherwise an approved read-only stick would give an it-staff member
 *      (read_write_groups) less than an unknown stick does, and default = read-only with a
 *      read-only rule would be decided by the rule for no reason.
 *
 * The keyboard decision ([storage] keyboards_while_locked), for any device that may type
 * (devid_may_type()), storage or not: a new one -- not already authorised -- at a seat that is
 * locked or where nobody is logged in is held back as a whole (the device stays unauthorised)
 * with block, and with block-extra only when the seat already has a working keyboard, so that a
 * person whose only keyboard was replugged can still unlock. It is decided again, and authorised,
 * when a person unlocks or logs in (policy_redecide_on_seat_change()). A device already in use is
 * never taken away by this decision: a reload while the screen is locked must not remove the
 * keyboard that unlocks it. A keystroke-injecting stick ("BadUSB") is the threat: it types at the
 * moment nobody watches.
 *
 * observe/enforce is the daemon's business: policy_decide() says what enforce would do.
 * The rules are indexed once per config (policy_new()): a decision costs a constant number of hash
 * lookups, whatever the number of rules, and still honours "first match in file order".
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

struct devid;
struct dispensation;
struct dispensation_list;
struct policy;

/* The person at the device's seat, borrowed for the call. */
struct policy_person {
	const char *user; /* login name, NULL when nobody */
	uid_t uid;
	char **groups; /* strv of group names (primary included), NULL = unknown */
	bool present;  /* a person (a session of class "user") is active on the seat */
	bool locked;   /* that session is locked */
	bool unknown;  /* who is at the seat cannot be known now (logind unreachable): not present,
			* and the verdict's reason says so instead of "nobody is logged in" */
	const char *session; /* the session's id, NULL when nobody */
	/* A fact about the seat, whoever is there: it has a working keyboard other than the device
	 * decided (see policy_wants_seat_keyboard()). */
	bool seat_has_keyboard;
	/* The time the decision is for (CLOCK_REALTIME usec), to tell whether a dispensation has
	 * expired; 0 = now. */
	uint64_t now;
};

/* Which step of the precedence above decided. */
enum policy_step {
	POLICY_STEP_NON_STORAGE,
	POLICY_STEP_DISK_BELOW_HARMLESS,
	POLICY_STEP_WHILE_LOCKED,
	POLICY_STEP_RULE,
	POLICY_STEP_READ_WRITE_GROUPS,
	POLICY_STEP_READ_ONLY_GROUPS,
	POLICY_STEP_DEFAULT,
	POLICY_STEP_DISPENSATION,
};

struct policy_verdict {
	enum policy_step step;
	enum storage_action action; /* for the storage interfaces */
	bool storage;		    /* the device has storage interfaces (else action is ALLOW) */
	/* What decided: "non-storage", "harmless_classes", "while_locked", a rule name,
	 * "read_write_groups", "read_only_groups", "default" or "dispensation". Borrowed from the
	 * config or static. */
	const char *rule_name;
	struct config_place place; /* FILE:LINE of what decided; file borrowed from the config */
	const struct storage_rule *rule; /* the named rule when one decided, else NULL */
	/* The dispensation when one decided, else NULL. Borrowed from the list given to
	 * policy_set_dispensations(): valid only until that list changes. */
	const struct dispensation *dispensation;
	const char *reason; /* short English, static */

	/* The keyboard decision, apart from the storage one. */
	bool input_held; /* held back as a new keyboard at a locked or empty seat: the whole device
			  * stays unauthorised */
	const char *input_reason;	 /* why it is held, static; NULL when it is not */
	struct config_place input_place; /* FILE:LINE of keyboards_while_locked */
};

/* Frees p (not its config); accepts NULL; returns NULL. */
struct policy *policy_free(struct policy *p);
DEFINE_FREEP(struct policy, policy_free)

/*
 * Builds the rule index for c. c is borrowed and must outlive the policy. Returns NULL on OOM.
 */
struct policy *policy_new(const struct config *c) _malloc_(policy_free);

/*
 * The written dispensations policy_decide() honours (step 2 above): l is borrowed and must stay
 * valid (or be replaced with this call) while the policy decides; NULL = none.
 */
void policy_set_dispensations(struct policy *p, const struct dispensation_list *l);

/* The config the policy was built from. */
const struct config *policy_config(const struct policy *p);

/*
 * Decides device id (borrowed) for person (borrowed; NULL = nobody at the seat). Fills *ret_verdict
 * (pointers in it borrow from the config and stay valid as long as it). Returns 0.
 */
int policy_decide(const struct policy *p,
		  const struct devid *id,
		  const struct policy_person *person,
		  struct policy_verdict *ret_verdict);

/*
 * Whether policy_decide() can depend on the person at the seat: while_locked = block,
 * keyboards_while_locked other than allow, read_write_groups or read_only_groups not empty, or a
 * dispensation is set.
 * When false, every person (and NULL) gets the same verdict, so a caller may decide first and look
 * up the person afterwards, for its records only.
 */
bool policy_needs_person(const struct policy *p);

/*
 * Whether policy_decide() for id and person (borrowed; NULL = nobody) depends on
 * person->seat_has_keyboard. When false the caller need not find out (an enumeration of the
 * seat's input devices) and may leave it false.
 */
bool policy_wants_seat_keyboard(const struct policy *p,
				const struct devid *id,
				const struct policy_person *person);

/*
 * Whether a present device decided by v for then (the person at its seat at the time; NULL =
 * nobody) is decided again now that now is at the seat:
 *   - another session, or nobody, at the seat (a user switch, a logout, a login): yes. Rights
 *     belong to the person at the seat, so a device granted to one person must not stay granted
 *     to the next; a device held back for nobody is decided for the person who logged in.
 *   - the same session, unlocked: yes for a device held back by while_locked (it arrived while
 *     the seat was locked and is decided for the person now back); no for the rest.
 *   - the same session, locked: no. The same person is still logged in, and while_locked
 *     governs devices that arrive at a locked seat: tearing a mounted disk away whenever a
 *     screen locks would lose data and protect nothing.
 *   - now unknown (logind unreachable): no. Not being able to ask is no news about the seat.
 *   - a device without storage, and not held back as a keyboard: never.
 * A device held back as a keyboard is treated like one held back by while_locked.
 */
bool policy_redecide_on_seat_change(const struct policy_verdict *v,
				    const struct policy_person *then,
				    const struct policy_person *now);

/*
 * Whether a present device decided by v is decided again because a keyboard left its seat: yes
 * for one held back as a keyboard. With block-extra it may now be the seat's only keyboard -- the
 * person who plugs in a new keyboard at the login screen and then unplugs the old one must not be
 * locked out.
 */
bool policy_redecide_on_keyboard_gone(const struct policy_verdict *v);

/*
 * The action for interface number (configuration config_value, 0 = any) of device id, given the
 * device's verdict: the verdict's action for a storage interface or one with a disk below it
 * (devid_disk_below()), ALLOW for any other.
 */
enum storage_action policy_interface_action(const struct policy *p,
					    const struct devid *id,
					    const struct policy_verdict *v,
					    uint8_t config_value,
					    uint8_t number);

/*
 * Whether a block device (disk or partition) that appeared below interface number of device id
 * (number < 0: below no interface vakt could name) is what verdict v foresaw: the interface gets
 * v's storage action (number < 0: such a disk was recorded, and the verdict holds back the whole
 * device). When false the disk is unexpected -- it appeared below a device or function
 * judged harmless -- and the caller records it with devid_add_disk() and decides the device again
 * (step 0 above); meanwhile it makes the disk read-only.
 */
bool policy_disk_expected(const struct policy *p,
			  const struct devid *id,
			  const struct policy_verdict *v,
			  uint8_t config_value,
			  int number);

/*
 * Whether device id, decided by v, keeps functions that do not get the storage action: a
 * composite device whose storage is blocked but whose keyboard is not. Then, where the kernel
 * authorises interfaces one by one, the device is authorised and only its storage interfaces are
 * held back; elsewhere the device as a whole is. False for a device held back as a keyboard.
 */
bool policy_keeps_other_functions(const struct policy *p,
				  const struct devid *id,
				  const struct policy_verdict *v);

/*
 * Whether every disk that may appear below device decided by v, enforced as effective (v's action,
 * or BLOCK after a failure), is to be read-only from its first moment: every device but one whose
 * storage is allowed read-write. For a read-only device that is the policy; for the others it is
 * defence in depth, since no disk is expected below their authorised functions (see
 * policy_disk_expected()).
 */
bool policy_disks_read_only(const struct policy_verdict *v, enum storage_action effective);

/*
 * The first named rule in file order matching vendor, product and serial (each may be NULL =
 * unknown; a rule field that is given never matches an unknown value), or NULL.
 */
const struct storage_rule *policy_match_rule(const struct policy *p,
					     const char *vendor,
					     const char *product,
					     const char *serial);

/* One step of the precedence above, for `vaktctl explain`. */
struct policy_explain_step {
	enum policy_step step;
	/* "harmless_classes", "non-storage", "while_locked", "rule", "read_write_groups",
	 * "read_only_groups", "default", "dispensation". Static. */
	const char *name;
	bool applies;		    /* the step's condition holds for this device and person */
	bool decided;		    /* it is the step policy_decide() reports */
	enum storage_action action; /* what it gives when it applies */
	const char *rule_name;	    /* the named rule (rule step) or dispensation id that matched */
	struct config_place place;  /* FILE:LINE of its setting; file borrowed from the config */
	const char *why;	    /* short English, static: why it applies or not */
};

#define POLICY_EXPLAIN_STEPS 8

/*
 * The whole precedence for id and person (as for policy_decide()): every step in order, whether
 * its condition holds, and which one decided (the same verdict policy_decide() gives, into
 * *ret_verdict). Steps after the deciding one are still evaluated, so that one sees what would
 * apply. Returns the number of steps written (POLICY_EXPLAIN_STEPS).
 */
int policy_explain(const struct policy *p,
		   const struct devid *id,
		   const struct policy_person *person,
		   struct policy_explain_step ret_steps[POLICY_EXPLAIN_STEPS],
		   struct policy_verdict *ret_verdict);

/*
 * An allow-rule for device id in vakt.conf syntax, ready for a drop-in: a [storage.allow "NAME"]
 * section with vendor, product, the serial when the device has one that the file syntax can hold
 * (else a comment says why it is left out, so the rule matches every device of this model), and
 * mode (ALLOW or READ_ONLY). Returns 0 and *ret (caller frees), -EINVAL for another mode or a
 * device without vendor and product, -ENOMEM.
 */
int policy_rule_snippet(const struct devid *id, enum storage_action mode, char **ret);
