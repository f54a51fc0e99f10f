import type { FastifyInstance } from 'fastify';
import { mayUseModel } from '../../auth/model-permission.ts';
import type { Principal } from '../../domain/principal.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { LiveRouting } from '../../routing/live-routing.ts';
import type { CatalogueEntry } from '../../routing/model-catalogue.ts';

const CREATED = Math.floor(Date.now() / 1000);

/**
 * GET /v1/models: the models this caller may use; GET /v1/models/{id}: one of them, 404 for any other id.
 * "Models" are what is really routable: the catalogue, the providers' configured lists and their own
 * (cached) lists; see ModelCatalogue.list for how each is named. Answered in Anthropic's shapes when the
 * caller sends anthropic-version (the Anthropic SDK does), otherwise in OpenAI's.
 */
export function registerModelsRoute(app: FastifyInstance, routing: LiveRouting): void {
  app.get('/v1/models', { config: { dialect: 'openai' }, schema: { tags: ['ai'] } }, async (request) => {
    const { catalogue, modelLists } = routing.current;
    const fetched = await modelLists.current();
    const models = catalogue.list(fetched).filter((m) => allowed(request.principal, m));
    if (request.headers['anthropic-version'] !== undefined) {
      const created = new Date(CREATED * 1000).toISOString();
      const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: created }));
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    }
    return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.provider })) };
  });
  // One model by the name a caller would send, "provider/model" included (hence the wildcard).
  app.get<{ Params: { '*': string } }>('/v1/models/*', { config: { dialect: 'openai' }, schema: { tags: ['ai'] } }, async (request) => {
    const id = request.params['*'];
    const { catalogue, modelLists } = routing.current;
    const model = catalogue.find(id, await modelLists.current());
    // A model the key may not use is as absent as one nobody serves: the answer does not tell them apart.
    if (model === undefined || !allowed(request.principal, model)) {
      throw new GatewayError('SB_MODEL_NOT_FOUND', { param: 'model', message: `This key may use no model "${id.slice(0, 200)}". GET /v1/models lists the models it may use.` });
    }
    if (request.headers['anthropic-version'] !== undefined) {
      return { type: 'model', id, display_name: id, created_at: new Date(CREATED * 1000).toISOString() };
    }
    return { id, object: 'model', created: CREATED, owned_by: model.provider };
  });
}

function allowed(principal: Principal | undefined, model: CatalogueEntry): boolean {
  return principal !== undefined && mayUseModel(principal, model.id, model.provider, model.model);
}
