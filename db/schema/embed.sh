#!/bin/sh
# Turn one engine's migration files, given in order, into a C array of SQL
# strings: element i upgrades a store from version i to i+1.
#   embed.sh ENGINE FILE...   (ENGINE: sqlite or postgresql)
set -eu
engine=$1
shift
echo '/* Generated from the db/schema migrations by db/schema/embed.sh; do not edit. */'
echo '#include <stddef.h>'
printf 'const char *const store_migrations_%s[] = {\n' "$engine"
for f in "$@"; do
	printf '\t/* %s */\n' "$f"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
	printf '\t,\n'
done
echo '};'
printf 'const size_t store_migration_count_%s = %d;\n' "$engine" "$#"
