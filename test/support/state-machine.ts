/**
 * Runs a Step Functions definition locally, for the subset the distributed audit uses: Task
 * (lambda:invoke), Map in DISTRIBUTED mode with an S3 JSON ItemReader and an ItemBatcher, Catch,
 * Pass, Succeed/Fail — with JSONPath references of the `$.a.b` kind. Anything else throws, so a
 * definition that strays from what was tested fails here first.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

type Json = unknown;
type State = Record<string, Json> & { Type: string };
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

export type LambdaInvoke = (functionName: string, payload: Json) => Promise<Json>;

function path(data: Json, expr: string): Json {
  if (expr === '$') return data;
  if (!expr.startsWith('$.')) throw new Error(`unsupported JSONPath ${expr}`);
  return expr
    .slice(2)
    .split('.')
    .reduce<Json>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, Json>)[key] : undefined), data);
}

/** `Parameters` / `ItemSelector` / `BatchInput`: keys ending in `.$` are paths into `input`. */
function template(spec: Json, input: Json, context: Json = {}): Json {
  if (Array.isArray(spec)) return spec.map((s) => template(s, input, context));
  if (spec === null || typeof spec !== 'object') return spec;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key.endsWith('.$')) {
      const expr = String(value);
      out[key.slice(0, -2)] = expr.startsWith('$$.') ? path(context, `$.${expr.slice(3)}`) : path(input, expr);
    } else out[key] = template(value, input, context);
  }
  return out;
}

function setAt(data: Json, resultPath: string | undefined, result: Json): Json {
  if (resultPath === undefined || resultPath === '$') return result;
  if (resultPath === null) return data;
  if (!resultPath.startsWith('$.') || resultPath.slice(2).includes('.')) throw new Error(`unsupported ResultPath ${resultPath}`);
  return { ...(data as Record<string, Json>), [resultPath.slice(2)]: result };
}

class TaskFailed extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

export class LocalStateMachine {
  constructor(
    private readonly invoke: LambdaInvoke,
    private readonly s3: S3Client,
    private readonly options: { maxConcurrency?: number } = {},
  ) {}

  async run(definition: Definition, input: Json): Promise<Json> {
    let name: string | undefined = definition.StartAt;
    let data = input;
    while (name !== undefined) {
      const state: State | undefined = definition.States[name];
      if (!state) throw new Error(`no state ${name}`);
      try {
        data = await this.step(state, data);
      } catch (error) {
        if (!(error instanceof TaskFailed)) throw error;
        type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
        const catchers: Catcher[] = (state.Catch as Catcher[] | undefined) ?? [];
        const handler: { Next: string; ResultPath?: string } | undefined = catchers.find(
          (c: Catcher) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(error.error),
        );
        if (!handler) throw error;
        data = setAt(data, handler.ResultPath, { Error: error.error, Cause: error.cause });
        name = handler.Next;
        continue;
      }
      if (state.Type === 'Succeed' || state.End === true) return data;
      if (state.Type === 'Fail') throw new TaskFailed(String(state.Error), String(state.Cause));
      name = state.Next as string | undefined;
      if (name === undefined) throw new Error(`state without Next or End`);
    }
    return data;
  }

  private async step(state: State, input: Json): Promise<Json> {
    switch (state.Type) {
      case 'Pass': {
        const result = state.Parameters === undefined ? input : template(state.Parameters, input);
        return setAt(input, state.ResultPath as string | undefined, result);
      }
      case 'Succeed':
      case 'Fail':
        return input;
      case 'Task': {
        if (state.Resource !== 'arn:aws:states:::lambda:invoke') throw new Error(`unsupported Task resource ${String(state.Resource)}`);
        const params = template(state.Parameters, input) as { FunctionName: string; Payload: Json };
        let result: Json;
        try {
          result = { Payload: await this.invoke(params.FunctionName, params.Payload) };
        } catch (error) {
          throw new TaskFailed((error as Error).name || 'Lambda.Unknown', (error as Error).message);
        }
        const selected = state.OutputPath ? path(result, state.OutputPath as string) : result;
        return setAt(input, state.ResultPath as string | undefined, selected);
      }
      case 'Map':
        return setAt(input, state.ResultPath as string | undefined, await this.map(state, input));
      default:
        throw new Error(`unsupported state type ${state.Type}`);
    }
  }

  private async map(state: State, input: Json): Promise<Json[]> {
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string }; StartAt: string; States: Record<string, State> };
    if (processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') throw new Error('the Map must run in DISTRIBUTED mode');
    const reader = state.ItemReader as { Resource: string; ReaderConfig?: { InputType?: string }; Parameters: Json };
    if (reader.Resource !== 'arn:aws:states:::s3:getObject' || reader.ReaderConfig?.InputType !== 'JSON') throw new Error('ItemReader must read a JSON array from S3');
    const where = template(reader.Parameters, input) as { Bucket: string; Key: string };
    const object = await this.s3.send(new GetObjectCommand({ Bucket: where.Bucket, Key: where.Key }));
    const items = JSON.parse(await object.Body!.transformToString()) as Json[];
    const batcher = state.ItemBatcher as { MaxItemsPerBatch: number; BatchInput?: Json };
    const batchInput = batcher.BatchInput === undefined ? undefined : template(batcher.BatchInput, input);
    const batches: Json[] = [];
    for (let i = 0; i < items.length; i += batcher.MaxItemsPerBatch) {
      batches.push({ Items: items.slice(i, i + batcher.MaxItemsPerBatch), ...(batchInput === undefined ? {} : { BatchInput: batchInput }) });
    }
    const limit = pLimit(this.options.maxConcurrency ?? ((state.MaxConcurrency as number | undefined) || 10));
    return Promise.all(batches.map((batch) => limit(() => this.run(processor, batch))));
  }
}

type ServerlessYml = {
  params?: { default?: Record<string, unknown> };
  resources?: { Resources?: Record<string, { Type: string; Properties: Record<string, unknown> }> };
};

/** serverless.yml parsed, its CloudFormation tags (`!Sub`, `!Ref`...) kept as `Fn::` objects. */
async function readServerlessYml(file: string): Promise<ServerlessYml> {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const tag = (name: string) => ({ tag: `!${name}`, resolve: (value: { toJSON(): unknown }) => ({ [`Fn::${name}`]: value.toJSON() }), collection: undefined });
  const customTags = ['Sub', 'GetAtt', 'Ref', 'Join', 'If', 'Equals', 'Not', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'GetAZs', 'And', 'Or', 'Condition'].flatMap((name) => [
    { ...tag(name), collection: 'seq' as const },
    { ...tag(name), collection: 'map' as const },
    { tag: `!${name}`, resolve: (value: string) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value }) },
  ]);
  return parse(await readFile(file, 'utf8'), { customTags }) as ServerlessYml;
}

/** The default stage parameters of serverless.yml (`params.default`: distributedBatchSize, ...), as strings. */
export async function serverlessParams(file = 'serverless.yml'): Promise<Record<string, string>> {
  const params = (await readServerlessYml(file)).params?.default ?? {};
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, String(value)]));
}

/**
 * The definition declared in serverless.yml (the DefinitionString of the state machine resource),
 * with its `${Name}` substitutions filled in.
 */
export async function definitionFromServerlessYml(values: Record<string, string>, file = 'serverless.yml'): Promise<Definition> {
  const doc = await readServerlessYml(file);
  const machine = Object.values(doc.resources?.Resources ?? {}).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error(`${file}: no AWS::StepFunctions::StateMachine resource`);
  const sub = machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] };
  const [text, variables] = sub['Fn::Sub'];
  for (const name of Object.keys(variables)) if (!(name in values)) throw new Error(`no test value for \${${name}}`);
  return JSON.parse(text.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name] ?? `\${${name}}`)) as Definition;
}
