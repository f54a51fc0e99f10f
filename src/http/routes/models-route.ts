import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../auth/principal.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { CatalogueEntry, ModelCatalogue } from '../../routing/model-catalogue.ts';

const CREATED = Math.floor(Date.now() / 1000);

/**
 * GET /v1/models: the models this caller may use; GET /v1/models/{id}: one of them. Answered in Anthropic's
 * shapes when the caller sends anthropic-version (the Anthropic SDK does), otherwise in OpenAI's.
 */
export function registerModelsRoute(app: FastifyInstance, catalogue: ModelCatalogue): void {
  app.get('/v1/models', { config: { dialect: 'openai', auth: 'any' }, schema: { tags: ['ai'] } }, async (request) => {
    const models = catalogue.list().filter((m) => allowed(request.principal, m));
    if (request.headers['anthropic-version'] !== undefined) {
      const created = new Date(CREATED * 1000).toISOString();
      const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: created }));
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    }
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.provider })) };
  });
  // One model by the name a caller would send, "provider/model" included (hence the wildcard).
  app.get<{ Params: { '*': string } }>('/v1/models/*', { config: { dialect: 'openai', auth: 'any' }, schema: { tags: ['ai'] } }, async (request) => {
    const id = request.params['*'];
    const target = catalogue.resolve(id).targets[0];
    const models = request.principal?.models ?? null;
    if (target === undefined || (models !== null && !models.has(id) && !models.has(`${target.provider}/${target.model}`))) {
      throw new GatewayError('SB_MODEL_NOT_FOUND', { param: 'model', message: `This key may use no model "${id.slice(0, 200)}". GET /v1/models lists the models it may use.` });
    }
    if (request.headers['anthropic-version'] !== undefined) {
      return { type: 'model', id, display_name: id, created_at: new Date(CREATED * 1000).toISOString() };
    }
    return { id, object: 'model', created: CREATED, owned_by: target.provider };
  });
}

function allowed(principal: Principal | undefined, model: CatalogueEntry): boolean {
  return principal !== undefined && (principal.models === null || principal.models.has(model.id));
}
