// SPDX-License-Identifier: GPL-2.0-only
/*
 * Our include/uapi/linux/vfio.h, vfio_zdev.h and vfio_ccw.h must be
 * ABI-identical to Linux 6.1's as the distribution installs them
 * (linux-libc-dev): every constant, enumerator, struct size and member
 * offset and size, compared both ways, so a name missing on either side
 * fails too.
 */
#include <string.h>

#include "../../kselftest_harness.h"
#include "abi_table.h"

static const struct abi_entry *find(const struct abi_entry *table,
				    const char *category, const char *label)
{
	for (; table->category; table++)
		if (!strcmp(table->category, category) &&
		    !strcmp(table->label, label))
			return table;
	return NULL;
}

/* Compare one category of two tables; returns the number of differences. */
static int compare(struct __test_metadata *_metadata,
		   const struct abi_entry *ours, const struct abi_entry *theirs,
		   const char *category)
{
	const struct abi_entry *e, *other;
	int diffs = 0, checked = 0;

	for (e = theirs; e->category; e++) {
		if (strcmp(e->category, category))
			continue;
		checked++;
		other = find(ours, category, e->label);
		if (!other) {
			TH_LOG("%s %s: missing from our header", category,
			       e->label);
			diffs++;
		} else if (e->string ? strcmp(e->string, other->string) :
			   e->value != other->value) {
			TH_LOG("%s %s: ours %lld, 6.1 %lld", category, e->label,
			       other->value, e->value);
			diffs++;
		}
	}
	for (e = ours; e->category; e++) {
		if (!strcmp(e->category, category) &&
		    !find(theirs, category, e->label)) {
			TH_LOG("%s %s: ours only, not in 6.1", category,
			       e->label);
			diffs++;
		}
	}
	TH_LOG("%d %s entries compared", checked, category);
	/* An empty comparison would prove nothing. */
	if (!checked && strcmp(category, "enum") && strcmp(category, "macro") &&
	    strcmp(category, "string"))
		diffs++;
	return diffs;
}

#define ABI_TEST(header, category_name, category)			\
	TEST(header##_##category_name)					\
	{								\
		EXPECT_EQ(0, compare(_metadata, abi_##header##_ours,	\
				     abi_##header##_theirs, category));	\
	}

ABI_TEST(vfio, constants, "constant")
ABI_TEST(vfio, strings, "string")
ABI_TEST(vfio, macros, "macro")
ABI_TEST(vfio, enums, "enum")
ABI_TEST(vfio, struct_sizes, "size")
ABI_TEST(vfio, member_offsets, "offset")
ABI_TEST(vfio, member_sizes, "member size")
ABI_TEST(zdev, constants, "constant")
ABI_TEST(zdev, struct_sizes, "size")
ABI_TEST(zdev, member_offsets, "offset")
ABI_TEST(zdev, member_sizes, "member size")
ABI_TEST(ccw, constants, "constant")
ABI_TEST(ccw, struct_sizes, "size")
ABI_TEST(ccw, member_offsets, "offset")
ABI_TEST(ccw, member_sizes, "member size")

TEST_HARNESS_MAIN
