/** EKS (restJson1): clusters, add-ons, pod identity associations and the add-on catalog of the calling account. */
import type { SimAccount, SimAddon, SimCluster, SimPodIdentity } from '../schema.js';
import type { SimState } from '../state.js';
import { jsonResponse, paginate, SimError } from '../wire.js';
import { regionDisabledError, regionEnabled } from './account.js';
import { kubernetesEndpoint } from './kubernetes.js';
import { epochSeconds, num, pageSize, pathSegments, stableHex, type ServiceFactory, type SimRequest } from './service.js';

const CREATED_FALLBACK = Date.parse('2023-06-01T12:00:00Z') / 1000;
const ADDON_TYPES: Record<string, string> = {
  'vpc-cni': 'networking',
  coredns: 'networking',
  'kube-proxy': 'networking',
  'aws-ebs-csi-driver': 'storage',
  'eks-pod-identity-agent': 'security',
};

interface Scope {
  state: SimState;
  req: SimRequest;
  account: SimAccount;
  region: string;
}

interface Association {
  source: SimPodIdentity;
  associationId: string;
  associationArn: string;
  ownerArn: string | undefined;
}

export const eksService: ServiceFactory = (state) => ({
  protocol: 'restJson',
  route(req) {
    const seg = pathSegments(req.path);
    const scope = (): Scope => scopeOf(state, req);
    if (req.method !== 'GET') throw unknown(req);
    if (seg[0] === 'addons' && seg[1] === 'supported-versions' && seg.length === 2) {
      return { name: 'DescribeAddonVersions', run: () => describeAddonVersions(scope()) };
    }
    if (seg[0] !== 'clusters') throw unknown(req);
    const cluster = seg[1];
    if (cluster === undefined) return { name: 'ListClusters', run: () => listClusters(scope()) };
    if (seg.length === 2) return { name: 'DescribeCluster', cluster, run: () => describeCluster(scope(), cluster) };
    const addon = seg[3];
    if (seg[2] === 'addons' && seg.length === 3) return { name: 'ListAddons', cluster, run: () => listAddons(scope(), cluster) };
    if (seg[2] === 'addons' && addon !== undefined && seg.length === 4) {
      return { name: 'DescribeAddon', cluster, run: () => describeAddon(scope(), cluster, addon) };
    }
    if (seg[2] === 'pod-identity-associations' && seg.length === 3) {
      return { name: 'ListPodIdentityAssociations', cluster, run: () => listPodIdentityAssociations(scope(), cluster) };
    }
    const associationId = seg[3];
    if (seg[2] === 'pod-identity-associations' && associationId !== undefined && seg.length === 4) {
      return { name: 'DescribePodIdentityAssociation', cluster, run: () => describePodIdentityAssociation(scope(), cluster, associationId) };
    }
    throw unknown(req);
  },
});

function unknown(req: SimRequest): SimError {
  return new SimError('UnknownOperationException', 404, `No EKS operation for ${req.method} ${req.path}`);
}

function scopeOf(state: SimState, req: SimRequest): Scope {
  const account = state.account(req.caller.accountId);
  if (!account) throw new SimError('AccessDeniedException', 403, `Account ${req.caller.accountId} is not part of the simulated organization`);
  if (!regionEnabled(account, req.region)) throw regionDisabledError();
  return { state, req, account, region: req.region };
}

function clustersOf(s: Scope): SimCluster[] {
  return s.account.regions[s.region]?.clusters ?? [];
}

function findCluster(s: Scope, name: string): SimCluster {
  const cluster = clustersOf(s).find((c) => c.name === name);
  if (!cluster) throw new SimError('ResourceNotFoundException', 404, `No cluster found for name: ${name}.`, { clusterName: name });
  return cluster;
}

function invalidToken(): SimError {
  return new SimError('InvalidParameterException', 400, 'The nextToken is not valid');
}

function listClusters(s: Scope) {
  const names = clustersOf(s).map((c) => c.name);
  const { page, nextToken } = paginate(names, s.req.query.get('nextToken'), num(s.req.query.get('maxResults')), pageSize(s.state, 'ListClusters', 100), invalidToken);
  return jsonResponse({ clusters: page, nextToken });
}

function describeCluster(s: Scope, name: string) {
  const c = findCluster(s, name);
  const id = stableHex(`${s.account.id}/${s.region}/${c.name}`, 32).toUpperCase();
  const api = kubernetesEndpoint(s.state, s.account.id, s.region, c.name);
  return jsonResponse({
    cluster: {
      name: c.name,
      arn: `arn:aws:eks:${s.region}:${s.account.id}:cluster/${c.name}`,
      createdAt: epochSeconds(c.createdAt, CREATED_FALLBACK),
      version: c.version,
      endpoint: api?.endpoint ?? `https://${id}.gr7.${s.region}.eks.amazonaws.com`,
      roleArn: `arn:aws:iam::${s.account.id}:role/eks-cluster-${c.name}`,
      resourcesVpcConfig: {
        subnetIds: [`subnet-${id.slice(0, 17).toLowerCase()}`],
        securityGroupIds: [],
        clusterSecurityGroupId: `sg-${id.slice(8, 25).toLowerCase()}`,
        vpcId: `vpc-${id.slice(4, 21).toLowerCase()}`,
        endpointPublicAccess: false,
        endpointPrivateAccess: true,
      },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
      identity: { oidc: { issuer: `https://oidc.eks.${s.region}.amazonaws.com/id/${id}` } },
      status: c.status,
      certificateAuthority: { data: api?.caData ?? Buffer.from(`-----BEGIN CERTIFICATE-----\nSIM${id}\n-----END CERTIFICATE-----\n`).toString('base64') },
      platformVersion: c.platformVersion,
      tags: c.tags,
      accessConfig: { authenticationMode: c.authenticationMode },
      upgradePolicy: { supportType: 'STANDARD' },
    },
  });
}

function listAddons(s: Scope, name: string) {
  const names = Object.keys(findCluster(s, name).addons);
  const { page, nextToken } = paginate(names, s.req.query.get('nextToken'), num(s.req.query.get('maxResults')), pageSize(s.state, 'ListAddons', 100), invalidToken);
  return jsonResponse({ addons: page, nextToken });
}

function addonArn(s: Scope, cluster: string, addon: string): string {
  const h = stableHex(`${s.account.id}/${s.region}/${cluster}/${addon}`, 32);
  return `arn:aws:eks:${s.region}:${s.account.id}:addon/${cluster}/${addon}/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function association(s: Scope, cluster: string, source: SimPodIdentity, ownerArn: string | undefined): Association {
  const associationId = `a-${stableHex(`${s.account.id}/${s.region}/${cluster}/${source.namespace}/${source.serviceAccount}/${source.roleArn}`, 17)}`;
  return { source, associationId, associationArn: `arn:aws:eks:${s.region}:${s.account.id}:podidentityassociation/${cluster}/${associationId}`, ownerArn };
}

function addonAssociations(s: Scope, cluster: string, addonName: string, addon: SimAddon): Association[] {
  const owner = addonArn(s, cluster, addonName);
  return addon.podIdentityAssociations.map((p) => association(s, cluster, p, owner));
}

/** Cluster-level associations (what a self-managed CNI uses) plus those the add-ons own. */
function associationsOf(s: Scope, c: SimCluster): Association[] {
  const all = c.podIdentityAssociations.map((p) => association(s, c.name, p, undefined));
  for (const [name, addon] of Object.entries(c.addons)) all.push(...addonAssociations(s, c.name, name, addon));
  return all;
}

function describeAddon(s: Scope, clusterName: string, addonName: string) {
  const c = findCluster(s, clusterName);
  const addon = c.addons[addonName];
  if (!addon) {
    throw new SimError('ResourceNotFoundException', 404, `No addon: ${addonName} found in cluster: ${clusterName}`, { clusterName, addonName });
  }
  const created = epochSeconds(addon.createdAt, epochSeconds(c.createdAt, CREATED_FALLBACK));
  return jsonResponse({
    addon: {
      addonName,
      clusterName,
      status: addon.status,
      addonVersion: addon.addonVersion,
      health: { issues: addon.health.issues },
      addonArn: addonArn(s, clusterName, addonName),
      createdAt: created,
      modifiedAt: epochSeconds(addon.modifiedAt, created),
      serviceAccountRoleArn: addon.serviceAccountRoleArn ?? undefined,
      tags: {},
      configurationValues: addon.configurationValues,
      podIdentityAssociations: addonAssociations(s, clusterName, addonName, addon).map((a) => a.associationArn),
    },
  });
}

function listPodIdentityAssociations(s: Scope, clusterName: string) {
  const c = findCluster(s, clusterName);
  const namespace = s.req.query.get('namespace');
  const serviceAccount = s.req.query.get('serviceAccount');
  const matching = associationsOf(s, c).filter(
    (a) => (!namespace || a.source.namespace === namespace) && (!serviceAccount || a.source.serviceAccount === serviceAccount),
  );
  const { page, nextToken } = paginate(matching, s.req.query.get('nextToken'), num(s.req.query.get('maxResults')), pageSize(s.state, 'ListPodIdentityAssociations', 100), invalidToken);
  return jsonResponse({
    associations: page.map((a) => ({
      clusterName,
      namespace: a.source.namespace,
      serviceAccount: a.source.serviceAccount,
      associationArn: a.associationArn,
      associationId: a.associationId,
      ownerArn: a.ownerArn,
    })),
    nextToken,
  });
}

function describePodIdentityAssociation(s: Scope, clusterName: string, associationId: string) {
  const c = findCluster(s, clusterName);
  const a = associationsOf(s, c).find((x) => x.associationId === associationId);
  if (!a) throw new SimError('ResourceNotFoundException', 404, `Pod identity association ${associationId} not found in cluster: ${clusterName}`, { clusterName });
  const created = epochSeconds(c.createdAt, CREATED_FALLBACK);
  return jsonResponse({
    association: {
      clusterName,
      namespace: a.source.namespace,
      serviceAccount: a.source.serviceAccount,
      roleArn: a.source.roleArn,
      associationArn: a.associationArn,
      associationId: a.associationId,
      tags: {},
      createdAt: created,
      modifiedAt: created,
      ownerArn: a.ownerArn,
      disableSessionTags: false,
    },
  });
}

function describeAddonVersions(s: Scope) {
  const q = s.req.query;
  const wantedName = q.get('addonName');
  const k8s = q.get('kubernetesVersion');
  const types = q.getAll('types');
  const addons = Object.entries(s.state.org.addonVersions)
    .filter(([name]) => !wantedName || name === wantedName)
    .map(([name, versions]) => ({
      addonName: name,
      type: ADDON_TYPES[name] ?? 'other',
      addonVersions: k8s ? versions.filter((v) => v.compatibilities.some((c) => c.clusterVersion === k8s)) : versions,
      publisher: 'eks',
      owner: 'aws',
    }))
    .filter((a) => types.length === 0 || types.includes(a.type));
  const { page, nextToken } = paginate(addons, q.get('nextToken'), num(q.get('maxResults')), pageSize(s.state, 'DescribeAddonVersions', 100), invalidToken);
  return jsonResponse({ addons: page, nextToken });
}
