import { LRUCache } from 'lru-cache';
import semver, { Range, type SemVer } from 'semver';

/**
 * A vpc-cni version as found on a cluster, reduced to the upstream release it is built from.
 *
 * `-eksbuild.N` is an EKS build of the same upstream release (v1.7.2-eksbuild.1 IS 1.7.2), but
 * node-semver reads it as a prerelease and gets ranges wrong both ways; so it is stripped before
 * matching. Real prereleases (`-rc1`) are kept and compare as prereleases.
 */
export interface CniVersion {
  raw: string;
  /** The upstream release, e.g. `1.7.2` or `1.8.0-rc1`. */
  upstream: string;
  semver: SemVer;
  /** N of `-eksbuild.N`, when present. */
  eksbuild?: number;
}

const EKSBUILD = /-eksbuild\.(\d+)$/;

/** The tag of an image reference (`registry/repo:tag`, `repo:tag@sha256:...`), or the input itself. */
export function imageTag(ref: string): string {
  const withoutDigest = ref.split('@')[0] ?? ref;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(colon + 1);
}

/**
 * Parsed versions and ranges, by their text. A run parses the same few dozen versions and rule
 * ranges millions of times (every candidate target of every cluster, every sort comparison); the
 * values are never mutated, so one parse serves them all. Bounded: a warm Lambda keeps no history.
 */
const NOT_A_VERSION = Symbol('not a version');
const versions = new LRUCache<string, CniVersion | typeof NOT_A_VERSION>({ max: 4096, memoMethod: (raw) => parseUncached(raw) ?? NOT_A_VERSION });
const NOT_A_RANGE = Symbol('not a range');
const ranges = new LRUCache<string, ParsedRange | typeof NOT_A_RANGE>({ max: 1024, memoMethod: (range) => parseRange(range) });

/**
 * Parses an add-on version, an image tag or a whole image reference; null when it is not a version.
 * The result is shared between callers: read it, never change it.
 */
export function parseCniVersion(raw: string | null | undefined): CniVersion | null {
  if (raw == null) return null;
  const parsed = versions.memo(raw);
  return parsed === NOT_A_VERSION ? null : parsed;
}

function parseUncached(raw: string): CniVersion | null {
  const tag = imageTag(raw.trim());
  const build = EKSBUILD.exec(tag);
  const upstreamText = (build ? tag.slice(0, build.index) : tag).replace(/^v/, '');
  const parsed = semver.parse(upstreamText);
  if (!parsed || parsed.build.length > 0) return null;
  return {
    raw,
    upstream: parsed.version,
    semver: parsed,
    ...(build ? { eksbuild: Number(build[1]) } : {}),
  };
}

/** Whether the upstream release is in a semver range (prereleases order as prereleases). */
export function inRange(version: CniVersion, range: string): boolean {
  const parsed = ranges.memo(range);
  if (parsed === NOT_A_RANGE) return false;
  // Range.test re-parses a SemVer built with other options at every comparator: the answers are
  // kept per range instead (a run asks the same few hundred questions per cluster).
  let held = parsed.answers.get(version.upstream);
  if (held === undefined) {
    held = parsed.range.test(version.upstream);
    parsed.answers.set(version.upstream, held);
  }
  return held;
}

interface ParsedRange {
  range: Range;
  /** By upstream release. */
  answers: Map<string, boolean>;
}

/** As semver.satisfies reads a range: one that does not parse holds no version. */
function parseRange(range: string): ParsedRange | typeof NOT_A_RANGE {
  try {
    return { range: new Range(range, { includePrerelease: true }), answers: new Map() };
  } catch {
    return NOT_A_RANGE;
  }
}

/** A Kubernetes version as EKS gives it (`1.23`), as a semver for range checks; null if unparseable. */
export function parseKubernetesVersion(raw: string | null | undefined): SemVer | null {
  if (!raw || !/^v?\d+\.\d+(\.\d+)?$/.test(raw.trim())) return null;
  return semver.coerce(raw);
}

/** Whether a Kubernetes version is in a range (`<=1.23` means 1.23.x and below). */
export function kubernetesInRange(raw: string, range: string): boolean {
  const version = parseKubernetesVersion(raw);
  return version !== null && semver.satisfies(version, range);
}

/** Newest first, by upstream release then EKS build; unparseable versions last. */
export function compareCniVersionsDesc(a: string, b: string): number {
  const pa = parseCniVersion(a);
  const pb = parseCniVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a.localeCompare(b);
  return semver.rcompare(pa.semver, pb.semver) || (pb.eksbuild ?? 0) - (pa.eksbuild ?? 0);
}

export function isValidRange(range: string): boolean {
  return semver.validRange(range) !== null;
}

/** An upstream release as rules write it: `1.7.2` or `1.8.0-rc1`, with no `v` and no `-eksbuild`. */
export function isValidVersion(version: string): boolean {
  return semver.valid(version) === version && !EKSBUILD.test(version);
}
