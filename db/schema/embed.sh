#!/bin/sh
# Turn the migration files given in order into a C array of SQL strings:
# element i upgrades a store from user_version i to i+1.
set -eu
echo '/* Generated from the db/schema migrations by db/schema/embed.sh; do not edit. */'
echo '#include <stddef.h>'
echo 'const char *const store_migrations[] = {'
for f in "$@"; do
	printf '\t/* %s */\n' "$f"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
	printf '\t,\n'
done
echo '};'
printf 'const size_t store_migration_count = %d;\n' "$#"
