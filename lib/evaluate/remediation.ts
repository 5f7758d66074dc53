import semver from 'semver';
import type { ClusterFacts, Remediation } from '../types.js';
import type { FactView } from './facts.js';
import { renderTemplate, type Rule } from './rule.js';
import { inRange, parseCniVersion, type CniVersion } from './version.js';

/** Values templates may use beyond the facts: the target version and a role suggestion. */
export interface FixContext {
  target: string | null;
  /** Versions to move through, one minor at a time, ending at the target. */
  path: string[];
  roleArn: string;
}

function newestOffered(view: FactView): CniVersion | undefined {
  return view.offered.map(parseCniVersion).find((v): v is CniVersion => v !== null);
}

/**
 * The lowest release clear of every version rule that applies to this cluster: moving to 1.7.2
 * for one risk must not land in the next (1.7.2 is still below 1.8.0).
 */
export function safeFloor(rule: Rule, versionRules: readonly Rule[]): string | undefined {
  let floor = rule.fixed;
  if (!floor) return undefined;
  for (let changed = true; changed; ) {
    changed = false;
    for (const other of versionRules) {
      const at = parseCniVersion(floor)!;
      if (other.affected && other.fixed && inRange(at, other.affected) && semver.gt(other.fixed, floor)) {
        floor = other.fixed;
        changed = true;
      }
    }
  }
  return floor;
}

/**
 * The version to move to: the newest EKS offers for the cluster's Kubernetes version (the seeds'
 * advice: run the latest), as long as it is clear of the risk; else the first safe release as an
 * EKS build.
 */
export function fixTarget(rule: Rule, view: FactView, versionRules: readonly Rule[] = []): string | null {
  const latest = newestOffered(view);
  const floor = safeFloor(rule, versionRules);
  if (!floor) return latest?.raw ?? null;
  if (latest && semver.gte(latest.semver, floor)) return latest.raw;
  // EKS offers nothing clear of every risk for this Kubernetes version: its newest still clears this one
  if (latest && rule.fixed && semver.gte(latest.semver, rule.fixed)) return latest.raw;
  return `v${floor}-eksbuild.1`;
}

/**
 * One minor at a time (the operating guide's advice): the newest offered patch of every minor
 * between the current version and the target, then the target.
 */
export function upgradePath(current: CniVersion | null, target: string | null, view: FactView): string[] {
  const to = parseCniVersion(target);
  if (!target || !to) return [];
  if (!current || current.semver.major !== to.semver.major || to.semver.minor - current.semver.minor <= 1) return [target];
  const steps: string[] = [];
  for (let minor = current.semver.minor + 1; minor < to.semver.minor; minor++) {
    const step = view.offered.find((raw) => {
      const v = parseCniVersion(raw);
      return v !== null && v.semver.major === to.semver.major && v.semver.minor === minor;
    });
    if (step) steps.push(step);
  }
  return [...steps, target];
}

/** `versionRules`: the version rules that apply to this cluster's Kubernetes version. */
export function fixContext(rule: Rule, view: FactView, facts: ClusterFacts, versionRules: readonly Rule[]): FixContext {
  const target = fixTarget(rule, view, versionRules);
  return {
    target,
    path: upgradePath(view.version, target, view),
    roleArn: facts.cni.serviceAccountRoleArn ?? `arn:${facts.partition}:iam::${facts.accountId}:role/AmazonEKSVPCCNIRole`,
  };
}

const BACKUP = 'kubectl get daemonset aws-node -n kube-system -o yaml > aws-k8s-cni-old.yaml';

function presetCommands(rule: Rule, facts: ClusterFacts, fix: FixContext): string[] {
  const where = `--cluster-name ${facts.clusterName} --region ${facts.region}`;
  const kubeconfig = `aws eks update-kubeconfig --name ${facts.clusterName} --region ${facts.region}`;
  const version = fix.target ? ` --addon-version ${fix.target}` : '';
  switch (rule.remediation.preset) {
    case 'upgrade':
      if (!fix.target) return [];
      if (facts.cni.managed) {
        return [
          kubeconfig,
          BACKUP,
          ...fix.path.map((step) => `aws eks update-addon ${where} --addon-name vpc-cni --addon-version ${step} --resolve-conflicts PRESERVE`),
          ...(fix.path.length === 1
            ? [`# or: eksctl update addon --name vpc-cni --version ${fix.target} --cluster ${facts.clusterName} --region ${facts.region} --force`]
            : []),
        ];
      }
      return [
        kubeconfig,
        BACKUP,
        ...fix.path.map(
          (step) => `helm upgrade -i aws-vpc-cni eks/aws-vpc-cni --namespace kube-system --set image.tag=${step} --set init.image.tag=${step}`,
        ),
        `# or move to the managed add-on: aws eks create-addon ${where} --addon-name vpc-cni${version} --service-account-role-arn ${fix.roleArn}`,
      ];
    case 'migrate-to-managed':
      return [
        kubeconfig,
        BACKUP,
        `aws eks create-addon ${where} --addon-name vpc-cni${version} --service-account-role-arn ${fix.roleArn}`,
        `aws eks describe-addon ${where} --addon-name vpc-cni --query addon.status --output text`,
      ];
    case 'iam-role':
      if (facts.cni.managed) {
        return [
          `aws eks update-addon ${where} --addon-name vpc-cni --service-account-role-arn ${fix.roleArn} --resolve-conflicts PRESERVE`,
          `# or with EKS Pod Identity: aws eks create-pod-identity-association ${where} --namespace kube-system --service-account aws-node --role-arn ${fix.roleArn}`,
        ];
      }
      return [
        `eksctl create iamserviceaccount --cluster ${facts.clusterName} --region ${facts.region} --namespace kube-system --name aws-node --role-name AmazonEKSVPCCNIRole --attach-policy-arn arn:${facts.partition}:iam::aws:policy/AmazonEKS_CNI_Policy --override-existing-serviceaccounts --approve`,
        `kubectl rollout restart daemonset aws-node -n kube-system`,
      ];
    case undefined:
      return [];
  }
}

/** The remediation of one finding: the rule's text and commands filled in for this cluster. */
export function buildRemediation(rule: Rule, facts: ClusterFacts, lookup: (name: string) => unknown, fix: FixContext): Remediation {
  const own = facts.cni.managed ? rule.remediation.managed : rule.remediation.selfManaged;
  const commands = [...presetCommands(rule, facts, fix), ...(own ?? []).map((t) => renderTemplate(t, lookup, 'command'))];
  let text = renderTemplate(rule.remediation.text, lookup);
  if (fix.path.length > 1) text += ` Move one minor release at a time: ${fix.path.join(' → ')}.`;
  return {
    text,
    commands,
    ...(rule.remediation.url ? { url: rule.remediation.url } : rule.references[0] ? { url: rule.references[0] } : {}),
  };
}
