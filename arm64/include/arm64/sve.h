#ifndef VMM_ARM64_SVE_H
#define VMM_ARM64_SVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SVE vector-length sets. A set is a mask of vector quadwords (VQ): bit
 * (vq - 1) stands for a vector length of 128 * vq bits, vq 1..16 (the
 * architecture's 128..2048 bits). 0 is the empty set: no SVE.
 */
typedef uint16_t vq_mask_t;

#define SVE_VQ_MAX_ARCH	16
#define VQ_BIT(vq)	((vq_mask_t)(1u << ((vq) - 1)))

enum sve_request_kind {
	SVE_REQ_DEFAULT,	/* no flag given: the host's whole set if it has SVE, else off */
	SVE_REQ_MAX,		/* --sve-vls=max: the host's whole set; without SVE, off */
	SVE_REQ_OFF,		/* --sve-vls=off: vcpus without KVM_ARM_VCPU_SVE */
	SVE_REQ_LIST,		/* --sve-vls=128,256: exactly this set */
	SVE_REQ_UPTO,		/* --sve-max-vl=BITS: the host's set up to BITS */
};

struct sve_request {
	enum sve_request_kind kind;
	vq_mask_t list;		/* SVE_REQ_LIST */
	unsigned max_vl;	/* SVE_REQ_UPTO, in bits */
	char text[128];		/* the flag as the user wrote it, for messages */
};

/* Parses --sve-vls=ARG. Returns 0, or -2 with a one-line reason in err. */
int sve__parse_vls(const char *arg, struct sve_request *req, char *err, size_t errlen);
/* Parses --sve-max-vl=ARG. Returns 0, or -2 with a one-line reason in err. */
int sve__parse_max_vl(const char *arg, struct sve_request *req, char *err, size_t errlen);

/*
 * Resolves a request against the host's set (0: the host has no SVE).
 * On success *out is the guest's set (0: SVE off). A request the host
 * cannot give returns -3 with the one-line message of docs/sve.md in err.
 */
int sve__resolve(const struct sve_request *req, vq_mask_t host, vq_mask_t *out,
		 char *err, size_t errlen);

/* The kernel's rule: set is non-empty and equals host truncated at max(set). */
bool sve__set_valid(vq_mask_t host, vq_mask_t set);
/* Every valid set of a host, smallest first. Returns how many (0..16). */
unsigned sve__possible_sets(vq_mask_t host, vq_mask_t sets[SVE_VQ_MAX_ARCH]);
/* "128,256,512"; "none" for the empty set. */
void sve__format_set(vq_mask_t set, char *buf, size_t len);
/* "128 | 128,256 | 128,256,512"; "none" for a host without SVE. */
void sve__format_possible(vq_mask_t host, char *buf, size_t len);
/* The largest VL of a set in bits, 0 for the empty set. */
unsigned sve__max_vl(vq_mask_t set);

/*
 * The largest set every host can give (hosts[i] is host i's set). 0 when
 * there is none, i.e. some host lacks SVE.
 */
vq_mask_t sve__plan(const vq_mask_t *hosts, unsigned n);

#endif
