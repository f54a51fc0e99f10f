import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../auth/principal.ts';
import type { CatalogueEntry, ModelCatalogue } from '../../routing/model-catalogue.ts';

const CREATED = Math.floor(Date.now() / 1000);

/**
 * GET /v1/models: the models this caller may use. Answered in Anthropic's list shape when the caller sends
 * anthropic-version (the Anthropic SDK does), otherwise in OpenAI's.
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
}

function allowed(principal: Principal | undefined, model: CatalogueEntry): boolean {
  return principal !== undefined && (principal.models === null || principal.models.has(model.id));
}
