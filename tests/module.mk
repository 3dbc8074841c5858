# Unit tests: tests/unit/test_NAME.c -> $(BUILD)/tests/test_NAME, linked with
# every subsystem archive (a test may also #include a .c to reach statics).
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ALL_ARCHIVES = $(foreach d,cli api domains dns acme tunnels exit,$($(d)_LIB)) $(BURROW_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(ALL_ARCHIVES) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(ALL_ARCHIVES) $(LDLIBS) -lcmocka

.PHONY: test-programs
test-programs: $(UNIT_TESTS)

# Fuzz targets: tests/fuzz/fuzz_NAME.c -> $(BUILD)/fuzz/NAME (make fuzz-build);
# -MMD so a change to a header they include (tests/fuzz/fixed_rand.h) rebuilds.
FUZZ_PROGRAMS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(ALL_ARCHIVES) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -fsanitize=fuzzer -o $@ $< $(ALL_ARCHIVES) $(LDLIBS)

.PHONY: fuzz-programs
fuzz-programs: $(FUZZ_PROGRAMS)
