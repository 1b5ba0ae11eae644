/**
 * Include/exclude filters with the AWS CLI's rules: every object is included unless a filter says otherwise; the
 * filters apply in the order given and the last one that matches decides. Patterns are matched against the key
 * relative to the job's root (`photos/2026/cat.jpg`) with fnmatch rules: `*` matches any run of characters,
 * `/` included; `?` matches one character; `[abc]`, `[a-z]` and `[!abc]` match one character of a set.
 */

/**
 * One include or exclude filter of a bulk job, in the order the filters are given.
 *
 * @example
 * ```ts
 * const filters: Filter[] = [{ exclude: '*' }, { include: '*.jpg' }]; // only .jpg files
 * rx.sync({ from: './photos', to: { bucket: 'backup' }, filters }).subscribe(console.log);
 * ```
 */
export type Filter = { readonly include: string } | { readonly exclude: string };

/** A compiled filter list: `(key) => true` when the key is included. */
export type FilterFn = (relativeKey: string) => boolean;

export function compileFilters(filters: readonly Filter[] | undefined): FilterFn {
  if (filters === undefined || filters.length === 0) return () => true;
  const compiled = filters.map((f) => ('include' in f ? { include: true, re: globToRegExp(f.include) } : { include: false, re: globToRegExp(f.exclude) }));
  return (key) => {
    let included = true;
    for (const f of compiled) if (f.re.test(key)) included = f.include;
    return included;
  };
}

/** fnmatch's pattern language as a regular expression anchored at both ends. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, close);
      const negate = set.startsWith('!');
      if (negate) set = set.slice(1);
      source += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}
