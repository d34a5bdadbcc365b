# tel: small Unix filters for a telemetry pipeline.  See README.md.

VERSION =	0.1.0
PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
MANDIR ?=	$(PREFIX)/share/man
PKG_CONFIG ?=	pkg-config
PROVE ?=	prove
PROVE_FLAGS ?=	-j2

TOOLS =		tel-batch tel-check tel-gen tel-kafka-cat tel-kafka-put \
		tel-kinesis-cat tel-kinesis-put tel-mkstream tel-mktopic tel-s3-put

# SANITIZE=1 builds with ASan+UBSan into its own tree, so both coexist.
ifeq ($(SANITIZE),1)
B ?=		build/san
OPT ?=		-O1 -g -fno-omit-frame-pointer
SAN =		-fsanitize=address,undefined -fno-sanitize-recover=all
else
B ?=		build
OPT ?=		-O2 -g
SAN =
endif

WARN =		-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
		-Wmissing-prototypes -Wpointer-arith -Wcast-qual \
		-Wwrite-strings -Wformat=2 -Wvla -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN +=		-Werror
endif

CFLAGS ?=	$(OPT)
TEL_CPPFLAGS =	-D_DEFAULT_SOURCE -D_GNU_SOURCE -Ilib \
		-DTEL_VERSION='"$(VERSION)"'
TEL_CFLAGS =	-std=c11 $(WARN) $(SAN) -MMD -MP
TEL_LDFLAGS =	$(SAN) $(LDFLAGS)

# Libraries are looked up only for the tools that link them.
libs_rdkafka =	$(shell $(PKG_CONFIG) --libs rdkafka)
libs_zlib =	$(shell $(PKG_CONFIG) --libs zlib)
libs_deflate =	$(shell $(PKG_CONFIG) --libs libdeflate)
libs_curl =	$(shell $(PKG_CONFIG) --libs libcurl)
libs_openssl =	$(shell $(PKG_CONFIG) --libs libcrypto)
libs_jansson =	$(shell $(PKG_CONFIG) --libs jansson)

LIB_SRC =	$(wildcard lib/*.c)
LIB_OBJ =	$(LIB_SRC:%.c=$(B)/obj/%.o)
LIBTEL =	$(B)/libtel.a

tel-gen_LIBS =	-lm
tel-check_LIBS = $(libs_jansson) -lm
tel-batch_LIBS = $(libs_deflate) $(libs_zlib) $(libs_openssl) -lm
tel-kafka-put_LIBS = $(libs_rdkafka) $(libs_curl) $(libs_openssl) -lm
tel-mktopic_LIBS = $(libs_rdkafka) $(libs_curl) $(libs_openssl) -lm
tel-kafka-cat_LIBS = $(libs_rdkafka) $(libs_curl) $(libs_openssl) -lm
tel-s3-put_LIBS = $(libs_curl) $(libs_openssl) -lm
tel-kinesis-put_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson) -lm
tel-kinesis-cat_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson) -lm
tel-mkstream_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson) -lm

UNIT_SRC =	$(wildcard t/unit/*.c)
UNIT_BIN =	$(UNIT_SRC:t/unit/%.c=$(B)/t/unit-%)
FUZZ_SRC =	$(wildcard t/fuzz/fuzz-*.c)
FUZZ_BIN =	$(FUZZ_SRC:t/fuzz/%.c=$(B)/t/%)

BINS =		$(TOOLS:%=$(B)/bin/%)

all: $(BINS)

# Objects depend on the flags and version they were built with.
FLAGS_LINE =	$(CC) $(TEL_CPPFLAGS) $(CPPFLAGS) $(TEL_CFLAGS) $(CFLAGS) $(TEL_LDFLAGS)
$(B)/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' >$@

$(B)/obj/%.o: %.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(TEL_CPPFLAGS) $(CPPFLAGS) $(TEL_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBTEL): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# One link rule per tool: its own directory's objects, then lib/.
define tool_rule
$$(B)/bin/$(1): $$(patsubst %.c,$$(B)/obj/%.o,$$(wildcard $(1)/*.c)) $$(LIBTEL)
	@mkdir -p $$(@D)
	$$(CC) $$(TEL_LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$($(1)_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

unit-sigv4_LIBS = $(libs_openssl)
unit-creds_LIBS = $(libs_curl) $(libs_openssl)
unit-mskiam_LIBS = $(libs_openssl)
unit-kpl_LIBS = $(libs_openssl)
unit-kinesis_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson)
$(B)/t/unit-%: $(B)/obj/t/unit/%.o $(LIBTEL)
	@mkdir -p $(@D)
	$(CC) $(TEL_LDFLAGS) -o $@ $^ $(unit-$*_LIBS) -lm $(LDLIBS)

# Test helpers: small programs over lib/ that the shell tests drive.
HELPER_SRC =	$(wildcard t/helper/*.c)
HELPER_BIN =	$(HELPER_SRC:t/helper/%.c=$(B)/t/helper-%)
helper-aws-creds_LIBS = $(libs_curl) $(libs_openssl)
helper-kpl_LIBS = $(libs_openssl)
helper-kinesis-sign_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson)
$(B)/t/helper-%: $(B)/obj/t/helper/%.o $(LIBTEL)
	@mkdir -p $(@D)
	$(CC) $(TEL_LDFLAGS) -o $@ $^ $(helper-$*_LIBS) -lm $(LDLIBS)

# Fuzz targets link a driver of ours that replays files and random input;
# "make fuzz" builds the same targets against libFuzzer with clang.
fuzz-jsonscan_LIBS = $(libs_jansson)
fuzz-control_LIBS = $(libs_jansson)
fuzz-gzip_LIBS = $(libs_deflate) $(libs_zlib)
fuzz-creds_LIBS = $(libs_curl) $(libs_openssl)
fuzz-kpl_LIBS = $(libs_openssl)
fuzz-base64_LIBS = $(libs_openssl)
fuzz-kinesis_LIBS = $(libs_curl) $(libs_openssl) $(libs_jansson)
fuzz-prefix_OBJ = $(B)/obj/tel-batch/prefix.o
fuzz-meta_OBJ = $(B)/obj/tel-batch/meta.o $(B)/obj/tel-batch/prefix.o
fuzz-schema_OBJ = $(B)/obj/tel-check/schema.o $(B)/obj/tel-check/validate.o \
		$(B)/obj/tel-check/fast.o
fuzz-schema_LIBS = $(libs_jansson)
fuzz-validate_OBJ = $(fuzz-schema_OBJ)
fuzz-validate_LIBS = $(libs_jansson)
fuzz-value_LIBS = $(libs_jansson)
fuzz-s3xml_OBJ = $(B)/obj/tel-s3-put/manifest.o
.SECONDEXPANSION:
$(B)/t/fuzz-%: $(B)/obj/t/fuzz/fuzz-%.o $$(fuzz-$$*_OBJ) $(B)/obj/t/fuzz/driver.o $(LIBTEL)
	@mkdir -p $(@D)
	$(CC) $(TEL_LDFLAGS) -o $@ $^ $(fuzz-$*_LIBS) -lm $(LDLIBS)

$(B)/obj/t/fuzz/fuzz-prefix.o: CPPFLAGS += -Itel-batch
$(B)/obj/t/fuzz/fuzz-meta.o: CPPFLAGS += -Itel-batch
$(B)/obj/t/fuzz/fuzz-schema.o $(B)/obj/t/fuzz/fuzz-validate.o: CPPFLAGS += -Itel-check
$(B)/obj/t/fuzz/fuzz-s3xml.o: CPPFLAGS += -Itel-s3-put
$(B)/obj/t/fuzz/driver.o: t/fuzz/driver.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(TEL_CPPFLAGS) $(CPPFLAGS) $(TEL_CFLAGS) $(CFLAGS) -c -o $@ $<

# The offline demo's Kafka: librdkafka's mock cluster.  Not installed.
DEMO_BIN =	$(B)/demo/mock-kafka
$(B)/demo/mock-kafka: $(B)/obj/demo/mock-kafka.o $(LIBTEL)
	@mkdir -p $(@D)
	$(CC) $(TEL_LDFLAGS) -o $@ $^ $(libs_rdkafka) $(LDLIBS)

test-bins: $(BINS) $(UNIT_BIN) $(FUZZ_BIN) $(HELPER_BIN) $(DEMO_BIN)

# Real peers (Kafka, MinIO, ...) are set up first (cached: a second once
# built) and start once per run; run-suite stops them.  A peer that cannot
# be had fails the run, unless asked for an offline one (make
# test-offline, or TEL_TEST_OFFLINE=1), where its tests skip and are
# counted at the end.
TEL_TEST_OFFLINE ?= 0
ifeq ($(TEL_TEST_OFFLINE),1)
TEL_TEST_REQUIRE_PEERS ?= 0
else
TEL_TEST_REQUIRE_PEERS ?= 1
endif

test: deps
	$(MAKE) test-bins
ifneq ($(TEL_TEST_OFFLINE),1)
	@bash t/peers/setup.sh || { echo "make test: the test peers could" \
	    "not be set up (above); make test-offline runs without them" >&2; \
	    exit 1; }
endif
	TEL_BUILD=$(abspath $(B)) PROVE=$(PROVE) \
	    TEL_TEST_REQUIRE_PEERS=$(TEL_TEST_REQUIRE_PEERS) \
	    sh t/peers/run-suite $(PROVE_FLAGS) t/

test-offline:
	$(MAKE) test TEL_TEST_OFFLINE=1

peers:
	bash t/peers/setup.sh

$(B)/t/bench-scan: $(B)/obj/t/bench/scan.o $(LIBTEL)
	@mkdir -p $(@D)
	$(CC) $(TEL_LDFLAGS) -o $@ $^ $(libs_jansson) $(LDLIBS)

bench: $(BINS) $(B)/t/bench-scan
	@bash t/peers/setup.sh kafka minio bench
	@for b in $(filter-out t/bench/lib-%.sh,$(wildcard t/bench/*.sh)); do \
		echo; TEL_BUILD=$(abspath $(B)) sh $$b || exit 1; done

FUZZ_CC ?=	clang
FUZZ_TIME ?=	60
fuzz:
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		$(FUZZ_CC) -std=c11 -g -O1 $(TEL_CPPFLAGS) -Itel-batch \
		    -Itel-check -Itel-s3-put \
		    -fsanitize=fuzzer,address,undefined \
		    -o build/fuzz/$$n $$f $(LIB_SRC) tel-batch/prefix.c \
		    tel-batch/meta.c tel-check/schema.c tel-check/validate.c \
		    tel-check/fast.c \
		    tel-s3-put/manifest.c \
		    $(libs_jansson) $(libs_rdkafka) \
		    $(libs_deflate) $(libs_zlib) $(libs_curl) $(libs_openssl) -lm || exit 1; \
		mkdir -p build/fuzz/$$n.corpus; \
		build/fuzz/$$n -max_total_time=$(FUZZ_TIME) \
		    build/fuzz/$$n.corpus t/fuzz/corpus/$${n#fuzz-} || exit 1; \
	done

lint:
	mandoc -Tlint -Wwarning man/*.1 man/*.7

deps:
	sh .ci/deps.sh

# The whole pipeline offline: mock Kafka, a file:// lake; see demo/run.sh.
demo: deps
	$(MAKE) $(BINS) $(DEMO_BIN)
	TEL_BUILD=$(abspath $(B)) sh demo/run.sh

install: $(BINS)
ifeq ($(SANITIZE),1)
	@echo "make install: refusing to install a SANITIZE=1 build" >&2; exit 1
endif
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(TOOLS:%=man/%.1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 man/tel.7 $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
	    $(DESTDIR)$(MANDIR)/man7/tel.7

clean:
	rm -rf build

.SECONDARY:

.PHONY: all test test-offline peers FORCE test-bins bench fuzz lint deps demo install uninstall clean

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
