# SPDX-License-Identifier: GPL-2.0-only
#
# uapi_abi_test: our uapi headers against the distribution's (6.1, from
# linux-libc-dev in /usr/include).  Each header is turned into a table of
# ABI facts twice, once compiled against ours and once against theirs, in
# separate translation units.
ABI_OUT := $(OUTPUT)/abi
ABI_HEADERS := vfio:vfio.h zdev:vfio_zdev.h ccw:vfio_ccw.h
# The header file of a table's stem (vfio, zdev, ccw).
abi_header = $(patsubst $(1):%,%,$(filter $(1):%,$(ABI_HEADERS)))
ABI_OBJS := $(foreach h,$(ABI_HEADERS),$(ABI_OUT)/$(firstword $(subst :, ,$(h)))_ours.o \
	      $(ABI_OUT)/$(firstword $(subst :, ,$(h)))_theirs.o)
ABI_CFLAGS := -O2 -Wall -I$(CURDIR)/abi

$(ABI_OUT)/%_ours.c: abi/gen_abi_tables.py $(TOP)/include/uapi/linux/vfio.h \
		$(TOP)/include/uapi/linux/vfio_zdev.h $(TOP)/include/uapi/linux/vfio_ccw.h
	@mkdir -p $(ABI_OUT)
	python3 $< linux/$(call abi_header,$*) \
		$(TOP)/include/uapi/linux/$(call abi_header,$*) abi_$*_ours $@

$(ABI_OUT)/%_theirs.c: abi/gen_abi_tables.py
	@mkdir -p $(ABI_OUT)
	python3 $< linux/$(call abi_header,$*) \
		/usr/include/linux/$(call abi_header,$*) abi_$*_theirs $@

$(ABI_OUT)/%_ours.o: $(ABI_OUT)/%_ours.c
	$(CC) $(ABI_CFLAGS) -I$(TOP)/include/uapi -c -o $@ $<

$(ABI_OUT)/%_theirs.o: $(ABI_OUT)/%_theirs.c
	$(CC) $(ABI_CFLAGS) -c -o $@ $<

$(OUTPUT)/uapi_abi_test: abi/uapi_abi_test.c abi/abi_table.h $(ABI_OBJS)
	$(CC) $(CFLAGS) -I$(KSFT)/vfio/abi -o $@ $< $(ABI_OBJS) $(LDLIBS)
