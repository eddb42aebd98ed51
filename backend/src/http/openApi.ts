/**
 * Builds the OpenAPI 3.1 document from the route registry: one operation per route, request
 * schemas from its zod schemas (z.toJSONSchema), the roles it admits as `x-roles`, and the
 * error answers every route can give.
 */
import { z } from 'zod';
import type { RouteDef, RouteRegistry } from './routeRegistry.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete out['$schema'];
  return out;
}

function parameters(schema: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (schema === undefined) return [];
  const s = jsonSchema(schema, 'input');
  const props = (s['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((s['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, schemaOf]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: schemaOf }));
}

const ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const errorResponse = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operation(def: RouteDef<unknown, unknown, unknown>): Json {
  const status = String(def.status ?? (def.response === undefined ? 204 : 200));
  const responses: Json = {
    [status]:
      def.response === undefined
        ? { description: 'done' }
        : { description: 'success', content: { 'application/json': { schema: jsonSchema(def.response, 'output') } } },
    '400': errorResponse('invalid input (details.issues lists each problem)'),
  };
  const op: Json = {
    operationId: `${def.method}${def.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: def.summary,
    ...(def.tags === undefined ? {} : { tags: def.tags }),
  };
  if (def.access === 'public') {
    op['security'] = [];
    op['x-roles'] = ['public'];
  } else if ('roles' in def.access) {
    op['security'] = [{ staffSession: [] }];
    op['x-roles'] = [...def.access.roles];
    responses['401'] = errorResponse('not signed in, or the session expired');
    responses['403'] = errorResponse('role not admitted');
  } else {
    op['security'] = [{ [def.access.scheme]: [] }];
    op['x-roles'] = [`scheme:${def.access.scheme}`];
    responses['401'] = errorResponse('not authenticated');
  }
  const params = [...parameters(def.params, 'path'), ...parameters(def.query, 'query')];
  if (params.length > 0) op['parameters'] = params;
  if (def.body !== undefined) {
    op['requestBody'] = { required: true, content: { 'application/json': { schema: jsonSchema(def.body, 'input') } } };
    responses['413'] = errorResponse('body too large');
  }
  op['responses'] = responses;
  return op;
}

/** The OpenAPI document for every registered route, paths and methods in a stable order. */
export function openApiDocument(registry: RouteRegistry, version: string): Json {
  const paths: Record<string, Json> = {};
  const sorted = [...registry.routes()].sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
  for (const def of sorted) {
    const path = def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = { ...(paths[path] ?? {}), [def.method]: operation(def) };
  }
  const securitySchemes: Json = { staffSession: { type: 'http', scheme: 'bearer', description: 'session token from POST /api/v1/auth/login' } };
  for (const [name, scheme] of registry.schemeEntries()) securitySchemes[name] = scheme.openapi;
  return {
    openapi: '3.1.0',
    info: {
      title: 'CityCard backend',
      version,
      description: 'Card bureau, cardholder registry, card lifecycle, hotlist and identity verification. x-roles lists the staff roles each operation admits.',
    },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA }, securitySchemes },
  };
}
