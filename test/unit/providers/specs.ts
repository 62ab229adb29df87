/**
 * Loads the parts of the providers' OpenAPI files that the tests use (test/fixtures/specs, cut
 * from the full files by extract.mjs there; see its README for sources and licenses) and builds
 * validators for what our requests must look like.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const specsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/specs');
const readSpec = (name: string) => JSON.parse(readFileSync(path.join(specsDir, name), 'utf8')) as Schema;

// ajv and ajv-formats are CommonJS with a default export: unwrap it under NodeNext.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Module.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule.default;

type Schema = Record<string, any>;

export interface CloudSpecValidator {
  /** Errors for the `/messages` body, [] when valid (Message, then each discriminated component and parameter). */
  checkMessage(body: unknown): string[];
  /** Errors for the request headers sendMessage declares (Authorization, User-Agent, Content-Type). */
  checkHeaders(headers: Record<string, string | string[] | undefined>): string[];
  /** The path template of operation sendMessage. */
  sendMessagePath: string;
}

export function loadCloudSpec(): CloudSpecValidator {
  const spec = readSpec('cloud-messages.json');
  const schemas = structuredClone(spec.components.schemas) as Record<string, Schema>;

  // Spec defect (providers.md §4): `index` has the pattern ^[2-6, 11-14]$, which rejects "0";
  // real values are "0".."9" (the description says "Position index of the button (0-9)").
  schemas.TemplateComponent.properties.index.pattern = '^[0-9]$';
  schemas.ButtonComponent.allOf[1].properties.index.pattern = '^[0-9]$';

  // Spec defect: `additionalProperties: false` inside an allOf branch also rejects the properties
  // the sibling BaseMessageProperties declares (messaging_product, to...), so no text message
  // could validate. The intent is a closed object: say it where JSON Schema 2020-12 can see both.
  for (const schema of Object.values(schemas)) {
    if (!Array.isArray(schema.allOf)) continue;
    for (const branch of schema.allOf) {
      if (branch.additionalProperties === false) {
        delete branch.additionalProperties;
        schema.unevaluatedProperties = false;
      }
    }
  }

  // Spec gap: biz_opaque_callback_data is part of the common envelope (providers.md §1.2;
  // whatsapp-api-js sendMessage) but the v23.0 file only declares it for calls.
  schemas.BaseMessageProperties.properties.biz_opaque_callback_data = { type: 'string', maxLength: 512 };

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'cloud', components: { schemas } });
  const validator = (name: string) => ajv.compile({ $ref: `cloud#/components/schemas/${name}` });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const check = (name: string, value: unknown, where: string): string[] => {
    if (!validators.has(name)) validators.set(name, validator(name));
    const validate = validators.get(name)!;
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message} (${name})`);
  };
  // ajv ignores `discriminator` with a `mapping`, so follow the mappings by hand.
  const mapped = (base: string, value: any): string | undefined => {
    const ref: string | undefined = schemas[base].discriminator?.mapping?.[value?.[schemas[base].discriminator.propertyName]];
    return ref?.split('/').pop();
  };

  const params = spec.paths['/{Version}/{Phone-Number-ID}/messages'].post.parameters as { $ref: string }[];
  const headerSchemas = params.map((p) => spec.components.parameters[p.$ref.split('/').pop()!] as Schema);

  return {
    sendMessagePath: '/{Version}/{Phone-Number-ID}/messages',
    checkMessage(body: any) {
      const errors = check('Message', body, 'body');
      for (const [i, component] of (body?.template?.components ?? []).entries()) {
        const name = mapped('TemplateComponent', component);
        if (!name) {
          errors.push(`component ${i} has no mapped schema`);
          continue;
        }
        errors.push(...check(name, component, `components/${i}`));
        const paramBase = name === 'ButtonComponent' ? 'ButtonParameterObject' : 'ParameterObject';
        for (const [j, param] of (component.parameters ?? []).entries()) {
          const paramName = mapped(paramBase, param);
          if (!paramName) errors.push(`components/${i}/parameters/${j} has no mapped schema`);
          else errors.push(...check(paramName, param, `components/${i}/parameters/${j}`));
        }
      }
      return errors;
    },
    checkHeaders(headers) {
      const errors: string[] = [];
      for (const p of headerSchemas) {
        const value = headers[p.name.toLowerCase()];
        if (value === undefined) {
          if (p.required) errors.push(`header ${p.name} is required`);
          continue;
        }
        const validate = ajv.compile(p.schema);
        if (!validate(value)) errors.push(`header ${p.name}: ${validate.errors?.map((e) => e.message).join(', ')}`);
      }
      return errors;
    },
  };
}

export interface TwilioCreateMessage {
  properties: Set<string>;
  required: string[];
  path: string;
  securityScheme: Schema;
}

/** The CreateMessage form schema from Twilio's 2010 API spec. */
export function loadTwilioCreateMessage(): TwilioCreateMessage {
  const spec = readSpec('twilio-create-message.json');
  const messagesPath = '/2010-04-01/Accounts/{AccountSid}/Messages.json';
  const op = spec.paths[messagesPath].post;
  if (op.operationId !== 'CreateMessage') throw new Error(`unexpected operation ${op.operationId}`);
  const schema = op.requestBody.content['application/x-www-form-urlencoded'].schema as Schema;
  return {
    properties: new Set(Object.keys(schema.properties)),
    required: schema.required ?? [],
    path: messagesPath,
    securityScheme: spec.components.securitySchemes[Object.keys(op.security[0])[0]],
  };
}
