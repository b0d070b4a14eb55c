#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Build-time generator: embeds the botocore service models (Apache-2.0 data, Debian package
# python3-botocore) of the services cohd uses into a C source. Each model is trimmed to what
# serialising and parsing need (no documentation, examples, validation patterns, error shapes)
# and emitted as compact JSON in a string literal, with its paginators and a table of metadata
# (lib/aws/protocols/protocols.h, struct cohd_aws_service). Stdlib only.
#
#   gen_models.py --probe                 print the botocore data directory (or fail)
#   gen_models.py --inputs DATADIR        print the model files read (for meson depend_files)
#   gen_models.py --output OUT.c DATADIR  write the C source
import argparse
import json
import os
import subprocess
import sys

# aws CLI name -> apiVersion (docs/../aws-api.md §1). Keep sorted by CLI name.
SERVICES = {
    'acm': '2015-12-08',
    'application-autoscaling': '2016-02-06',
    'cloudfront': '2020-05-31',
    'cloudwatch': '2010-08-01',
    'codebuild': '2016-10-06',
    'codepipeline': '2015-07-09',
    'ec2': '2016-11-15',
    'ecr': '2015-09-21',
    'ecs': '2014-11-13',
    'elasticache': '2015-02-02',
    'elbv2': '2015-12-01',
    'events': '2015-10-07',
    'iam': '2010-05-08',
    'kms': '2014-11-01',
    'lambda': '2015-03-31',
    'logs': '2014-03-28',
    'rds': '2014-10-31',
    'resourcegroupstaggingapi': '2017-01-26',
    'route53': '2013-04-01',
    's3': '2006-03-01',
    'secretsmanager': '2017-10-17',
    'sts': '2011-06-15',
}

METADATA_KEYS = {'apiVersion', 'endpointPrefix', 'globalEndpoint', 'jsonVersion', 'protocol',
                 'serviceId', 'signatureVersion', 'signingName', 'targetPrefix', 'xmlNamespace',
                 'serviceFullName', 'uid', 'checksumFormat'}
OPERATION_KEYS = {'name', 'http', 'input', 'output', 'endpoint', 'httpChecksumRequired',
                  'httpChecksum', 'authtype', 'idempotent'}
SHAPE_KEYS = {'type', 'members', 'member', 'key', 'value', 'required', 'location', 'locationName',
              'queryName', 'flattened', 'xmlNamespace', 'xmlAttribute', 'timestampFormat',
              'idempotencyToken', 'jsonvalue', 'payload', 'streaming', 'hostLabel', 'union',
              'eventstream', 'event', 'document', 'wrapper', 'resultWrapper', 'shape',
              'requiresLength'}
PAGINATOR_KEYS = {'input_token', 'output_token', 'more_results', 'limit_key', 'result_key',
                  'non_aggregate_keys'}

DEBIAN_DIR = '/usr/lib/python3/dist-packages/botocore/data'


def probe():
    env = os.environ.get('COHD_BOTOCORE_DATA_DIR')
    cands = [env] if env else []
    cands.append(DEBIAN_DIR)
    for py in ('/usr/bin/python3', sys.executable):
        try:
            out = subprocess.run([py, '-c', 'import botocore, os; print(os.path.join('
                                  'os.path.dirname(botocore.__file__), "data"))'],
                                 capture_output=True, text=True, timeout=60)
            if out.returncode == 0:
                cands.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    for d in cands:
        if d and all(os.path.isfile(os.path.join(d, s, v, 'service-2.json'))
                     for s, v in SERVICES.items()):
            return d
    sys.exit('cohd: botocore service models not found (looked in %s). Install the Debian '
             'package python3-botocore, or set COHD_BOTOCORE_DATA_DIR to its data directory.'
             % ', '.join(c for c in cands if c))


def inputs(datadir):
    files = []
    for s, v in SERVICES.items():
        files.append(os.path.join(datadir, s, v, 'service-2.json'))
        p = os.path.join(datadir, s, v, 'paginators-1.json')
        if os.path.isfile(p):
            files.append(p)
    return files


def trim_shape_ref(ref):
    return {k: v for k, v in ref.items() if k in SHAPE_KEYS}


def trim_model(model):
    out = {'metadata': {k: v for k, v in model['metadata'].items() if k in METADATA_KEYS}}
    ops = {}
    for name, op in model['operations'].items():
        o = {k: v for k, v in op.items() if k in OPERATION_KEYS}
        for io in ('input', 'output'):
            if io in o:
                o[io] = trim_shape_ref(o[io])
        ops[name] = o
    out['operations'] = ops
    shapes = model['shapes']
    # keep the shapes reachable from operation inputs and outputs
    keep = set()
    todo = [o[io]['shape'] for o in ops.values() for io in ('input', 'output') if io in o]
    while todo:
        n = todo.pop()
        if n in keep:
            continue
        keep.add(n)
        sh = shapes[n]
        for m in sh.get('members', {}).values():
            todo.append(m['shape'])
        for k in ('member', 'key', 'value'):
            if k in sh:
                todo.append(sh[k]['shape'])
    tshapes = {}
    for n in sorted(keep):
        sh = shapes[n]
        t = {k: v for k, v in sh.items() if k in SHAPE_KEYS}
        if 'members' in t:
            t['members'] = {mn: trim_shape_ref(m) for mn, m in t['members'].items()}
        for k in ('member', 'key', 'value'):
            if k in t:
                t[k] = trim_shape_ref(t[k])
        if not t.get('required'):
            t.pop('required', None)
        tshapes[n] = t
    out['shapes'] = tshapes
    return out


def trim_paginators(p):
    return {op: {k: v for k, v in d.items() if k in PAGINATOR_KEYS}
            for op, d in p.get('pagination', {}).items()}


def c_string(data, indent='\t'):
    lines = []
    chunk = []
    n = 0
    for ch in data:
        o = ord(ch)
        if ch == '"' or ch == '\\':
            e = '\\' + ch
        elif ch == '?':
            e = '\\?'
        elif 32 <= o < 127:
            e = ch
        else:
            e = '\\%03o' % o
        chunk.append(e)
        n += len(e)
        if n >= 96:
            lines.append(indent + '"' + ''.join(chunk) + '"')
            chunk, n = [], 0
    if chunk or not lines:
        lines.append(indent + '"' + ''.join(chunk) + '"')
    return '\n'.join(lines)


def c_str_or_null(v):
    if v is None:
        return 'NULL'
    return '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'


def generate(datadir, output):
    out = ['/* SPDX-License-Identifier: Apache-2.0 */',
           '/* Generated by lib/aws/protocols/gen_models.py from botocore\'s service models',
           ' * (python3-botocore, Apache-2.0, (c) Amazon.com, Inc. or its affiliates). Do not edit. */',
           '#include "lib/aws/protocols/models.h"', '']
    table = []
    total = 0
    for s, v in SERVICES.items():
        d = os.path.join(datadir, s, v)
        with open(os.path.join(d, 'service-2.json'), encoding='utf-8') as f:
            model = json.load(f)
        pag = {}
        pp = os.path.join(d, 'paginators-1.json')
        if os.path.isfile(pp):
            with open(pp, encoding='utf-8') as f:
                pag = trim_paginators(json.load(f))
        t = trim_model(model)
        mj = json.dumps(t, separators=(',', ':'), ensure_ascii=True)
        pj = json.dumps(pag, separators=(',', ':'), ensure_ascii=True)
        total += len(mj) + len(pj)
        cid = s.replace('-', '_')
        out.append('static const char model_%s[] =\n%s;\n' % (cid, c_string(mj)))
        out.append('static const char paginators_%s[] =\n%s;\n' % (cid, c_string(pj)))
        md = t['metadata']
        table.append('\t{\n\t\t.cli_name = "%s",\n\t\t.service_id = %s,\n'
                     '\t\t.endpoint_prefix = %s,\n\t\t.signing_name = %s,\n'
                     '\t\t.protocol_name = %s,\n\t\t.api_version = %s,\n'
                     '\t\t.target_prefix = %s,\n\t\t.json_version = %s,\n'
                     '\t\t.global_endpoint = %s,\n\t\t.xml_namespace = %s,\n'
                     '\t\t._model = (const unsigned char *)model_%s,\n'
                     '\t\t._model_len = sizeof(model_%s) - 1,\n'
                     '\t\t._paginators = (const unsigned char *)paginators_%s,\n'
                     '\t\t._paginators_len = sizeof(paginators_%s) - 1,\n\t},' % (
                         s, c_str_or_null(md.get('serviceId')),
                         c_str_or_null(md.get('endpointPrefix')),
                         c_str_or_null(md.get('signingName', md.get('endpointPrefix'))),
                         c_str_or_null(md.get('protocol')), c_str_or_null(md.get('apiVersion')),
                         c_str_or_null(md.get('targetPrefix')),
                         c_str_or_null(md.get('jsonVersion')),
                         c_str_or_null(md.get('globalEndpoint')),
                         c_str_or_null(md.get('xmlNamespace')), cid, cid, cid, cid))
    out.append('struct cohd_aws_service cohd_aws_services_table[] = {')
    out.extend(table)
    out.append('};')
    out.append('const size_t cohd_aws_services_table_n = %d;' % len(table))
    out.append('const size_t cohd_aws_services_embedded_bytes = %d;' % total)
    with open(output + '.tmp', 'w', encoding='ascii') as f:
        f.write('\n'.join(out) + '\n')
    os.replace(output + '.tmp', output)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--probe', action='store_true')
    ap.add_argument('--inputs', action='store_true')
    ap.add_argument('--output')
    ap.add_argument('datadir', nargs='?')
    a = ap.parse_args()
    if a.probe:
        print(probe())
    elif a.inputs:
        print('\n'.join(inputs(a.datadir)))
    elif a.output and a.datadir:
        generate(a.datadir, a.output)
    else:
        ap.error('nothing to do')


if __name__ == '__main__':
    main()
