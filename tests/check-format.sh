#!/bin/sh
# Fails when any C++ source differs from .clang-format.
cd "$1" || exit 1
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src cmd tests -name '*.[ch]pp')
[ -n "$files" ] || exit 0
if ! clang-format --dry-run --Werror $files; then
    echo "format: run clang-format -i on the files above" >&2
    exit 1
fi
echo "format: $(echo "$files" | wc -w) files clean"
