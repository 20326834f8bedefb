#!/usr/bin/env python3
"""Reads the Kafka API table (broker/kafka/schema/*.api, format in README.md) and writes the
C++ message structs and the API table, or the Markdown table of APIs for docs/PROTOCOL.md.

    generate.py --cpp OUT_DIR  FILE.api...   writes OUT_DIR/kafkamessages.h and .cpp
    generate.py --samples OUT_DIR FILE.api... writes OUT_DIR/kafkasamples.cpp: for the codec
                                            tests, every message of every version filled
                                            with values, and the list of them
    generate.py --markdown     FILE.api...   prints the §14 table
    generate.py --check        FILE.api...   parses only (exit 1 with a message on an error)
    generate.py --doc MD [--update] FILE.api...
                                            checks (or rewrites) the table between the
                                            api-table markers in MD
"""
import os
import re
import sys

PRIMITIVES = {
    # type: (C++ type, minimum encoded size in bytes)
    'int8': ('std::int8_t', 1),
    'int16': ('std::int16_t', 2),
    'int32': ('std::int32_t', 4),
    'int64': ('std::int64_t', 8),
    'uint16': ('std::uint16_t', 2),
    'float64': ('double', 8),
    'bool': ('bool', 1),
    'uuid': ('QUuid', 16),
    'string': ('QByteArray', 1),
    'bytes': ('QByteArray', 1),
    'records': ('QByteArray', 1),
}
INFINITY = 0x7FFF


class SchemaError(Exception):
    pass


class Versions:
    """A closed range of versions; hi == INFINITY means "and later"."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text, where):
        m = re.fullmatch(r'(\d+)(\+|-(\d+))?', text)
        if not m:
            raise SchemaError(f'{where}: bad versions "{text}"')
        lo = int(m.group(1))
        if m.group(2) == '+':
            return Versions(lo, INFINITY)
        if m.group(3) is not None:
            return Versions(lo, int(m.group(3)))
        return Versions(lo, lo)

    def intersect(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def empty(self):
        return self.lo > self.hi

    def covers(self, other):
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def condition(self, var, within):
        """A C++ condition true for var in this range, knowing var is within `within`."""
        r = self.intersect(within)
        if r.empty():
            return 'false'
        parts = []
        if r.lo > within.lo:
            parts.append(f'{var} >= {r.lo}')
        if r.hi < within.hi:
            parts.append(f'{var} <= {r.hi}')
        return ' && '.join(parts) if parts else 'true'

    def text(self):
        if self.hi == INFINITY:
            return f'{self.lo}+'
        return f'{self.lo}' if self.lo == self.hi else f'{self.lo}-{self.hi}'


class Field:
    def __init__(self, name, type_, versions, nullable, tag, default, line):
        self.name = name
        self.type = type_
        self.versions = versions
        self.nullable = nullable  # Versions or None
        self.tag = tag
        self.default = default
        self.line = line
        self.children = []  # for struct and []struct
        self.struct = None  # the Struct, once built

    @property
    def member(self):
        head, *rest = self.name.split('_')
        return head + ''.join(p[:1].upper() + p[1:] for p in rest)

    @property
    def is_array(self):
        return self.type.startswith('[]')

    @property
    def element(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.element not in PRIMITIVES


class Struct:
    def __init__(self, name, fields):
        self.name = name
        self.fields = fields


class Api:
    def __init__(self, path):
        self.path = path
        self.key = None
        self.name = None
        self.versions = None
        self.flexible = None  # first flexible version or None
        self.section = ''
        self.request = []
        self.response = []

    @property
    def range(self):
        return self.versions

    def flexible_range(self):
        if self.flexible is None:
            return Versions(1, 0)
        return Versions(self.flexible, INFINITY)


def parse_field(text, where):
    tokens = re.findall(r'"[^"]*"|\S+', text)
    if len(tokens) < 2:
        raise SchemaError(f'{where}: a field needs a name and a type')
    name, type_ = tokens[0], tokens[1]
    if not re.fullmatch(r'[a-z][a-z0-9_]*', name):
        raise SchemaError(f'{where}: field name "{name}" is not snake_case')
    element = type_[2:] if type_.startswith('[]') else type_
    if element not in PRIMITIVES and not re.fullmatch(r'[A-Z][A-Za-z0-9]*', element):
        raise SchemaError(f'{where}: unknown type "{type_}"')
    if type_.startswith('[]') and element == 'records':
        raise SchemaError(f'{where}: an array of records is not a type')
    versions = Versions(0, INFINITY)
    nullable = None
    tag = None
    default = None
    i = 2
    if i < len(tokens) and re.fullmatch(r'\d+(\+|-\d+)?', tokens[i]):
        versions = Versions.parse(tokens[i], where)
        i += 1
    while i < len(tokens):
        word = tokens[i]
        if i + 1 >= len(tokens):
            raise SchemaError(f'{where}: "{word}" needs a value')
        value = tokens[i + 1]
        if word == 'nullable':
            nullable = Versions.parse(value, where)
        elif word == 'tag':
            if not value.isdigit():
                raise SchemaError(f'{where}: tag must be a number')
            tag = int(value)
        elif word == 'default':
            default = value
        else:
            raise SchemaError(f'{where}: unknown attribute "{word}"')
        i += 2
    return Field(name, type_, versions, nullable, tag, default, where)


def parse(path):
    api = Api(path)
    section = None
    stack = []  # (indent, field list)
    with open(path, encoding='utf-8') as f:
        lines = f.readlines()
    for number, raw in enumerate(lines, 1):
        where = f'{os.path.basename(path)}:{number}'
        line = raw.split('#', 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(' '))
        text = line.strip()
        if indent == 0:
            words = text.split()
            if words[0] == 'api' and len(words) == 3:
                api.key = int(words[1])
                api.name = words[2]
            elif words[0] == 'versions' and len(words) == 2:
                api.versions = Versions.parse(words[1], where)
                if api.versions.hi == INFINITY:
                    raise SchemaError(f'{where}: the API needs a highest version')
            elif words[0] == 'flexible' and len(words) == 2:
                if words[1] != 'none':
                    if not words[1].endswith('+'):
                        raise SchemaError(f'{where}: flexible takes N+ or none')
                    api.flexible = int(words[1][:-1])
            elif words[0] == 'section' and len(words) == 2:
                api.section = words[1]
            elif words[0] in ('request', 'response') and len(words) == 1:
                section = getattr(api, words[0])
                stack = [(0, section)]
            else:
                raise SchemaError(f'{where}: unknown line "{text}"')
            continue
        if section is None:
            raise SchemaError(f'{where}: a field outside request/response')
        if indent % 2:
            raise SchemaError(f'{where}: indent by two spaces per level')
        level = indent // 2
        if level > len(stack):
            raise SchemaError(f'{where}: indented too far')
        stack = stack[:level]
        field = parse_field(text, where)
        parent_list = stack[-1][1]
        parent_list.append(field)
        stack.append((level, field.children))
    for attr in ('key', 'name', 'versions'):
        if getattr(api, attr) is None:
            raise SchemaError(f'{path}: missing "{attr}" line')
    if not api.request and not api.response:
        raise SchemaError(f'{path}: no request or response')
    return api


def check_fields(api, fields, where, parent_versions, seen_types):
    tags = set()
    for f in fields:
        if f.is_struct:
            if not f.children:
                raise SchemaError(f'{f.line}: struct type {f.element} has no fields')
            if f.element in seen_types:
                raise SchemaError(f'{f.line}: struct type {f.element} defined twice')
            seen_types.add(f.element)
            check_fields(api, f.children, f.line, f.versions.intersect(parent_versions),
                         seen_types)
        elif f.children:
            raise SchemaError(f'{f.line}: only struct fields have fields under them')
        if f.tag is not None:
            if api.flexible is None or f.versions.lo < api.flexible:
                raise SchemaError(f'{f.line}: tagged fields exist only in flexible versions')
            if f.tag in tags:
                raise SchemaError(f'{f.line}: tag {f.tag} used twice')
            tags.add(f.tag)
        if f.nullable is not None:
            if f.element not in ('string', 'bytes', 'records') and not f.is_array:
                raise SchemaError(f'{f.line}: only strings, bytes, records and arrays are nullable')


def nullable_always(f):
    """Nullable in every version the field exists in (then null is its default)."""
    return f.nullable is not None and f.nullable.covers(f.versions)


def cpp_type(f, in_request):
    if f.is_array:
        inner = f.element if f.is_struct else PRIMITIVES[f.element][0]
        t = f'std::vector<{inner}>'
        return f'std::optional<{t}>' if f.nullable else t
    if f.is_struct:
        return f.element
    if f.element == 'records' and in_request:
        return 'QByteArrayView'  # a view into the request frame: records are never copied
    t = PRIMITIVES[f.element][0]
    if f.nullable and f.element in ('string', 'bytes'):
        return f'std::optional<{t}>'
    return t


def cpp_default(f):
    d = f.default
    plain = f.element in PRIMITIVES and f.element not in ('string', 'bytes', 'records', 'uuid')
    if d is None or d == 'null':
        return '{}' if plain and not f.is_array else ''
    if f.element == 'bool':
        return ' = ' + ('true' if d == 'true' else 'false')
    if f.element in ('string', 'bytes'):
        if d.startswith('"'):
            return f' = QByteArray({d})'
        return ''
    if f.is_array or f.is_struct or f.element == 'uuid':
        return ''
    if d.startswith('0x'):
        return f' = {d}'
    if f.element == 'int64':
        return f' = std::int64_t({d})'
    return f' = {d}'


def min_size(fields, within):
    """A lower bound on the encoded size of a struct in every version (bounds array counts
    before anything is allocated): the fields present in all versions, at their smallest."""
    total = 0
    for f in fields:
        if f.tag is not None or not f.versions.covers(within):
            continue
        if f.is_array:
            total += 1
        elif f.is_struct:
            total += min_size(f.children, within)
        else:
            total += PRIMITIVES[f.element][1]
    return max(1, total)


class Emitter:
    def __init__(self, api):
        self.api = api
        self.decl = []
        self.defs = []

    def flex_cond(self, within):
        return self.api.flexible_range().condition('v', within)

    # ---- declarations
    def declare_struct(self, name, fields, in_request, indent, extra=''):
        pad = '    ' * indent
        out = [f'{pad}struct {name}', f'{pad}{{']
        for f in fields:
            if f.is_struct:
                out += self.declare_struct(f.element, f.children, in_request, indent + 1)
        for f in fields:
            out.append(f'{pad}    {cpp_type(f, in_request)} {f.member}{cpp_default(f)};')
        if extra:
            out.append(extra.replace('\n', '\n' + pad))
        out.append(f'{pad}    static constexpr int kMinBytes = {min_size(fields, self.api.range)};')
        out.append(f'{pad}    void read(Reader &in, std::int16_t v);')
        out.append(f'{pad}    void write(Writer &out, std::int16_t v) const;')
        out.append(f'{pad}    bool operator==(const {name} &) const = default;')
        out.append(f'{pad}}};')
        return out

    # ---- reading
    def read_value(self, f, target, in_request, pad):
        """Statements that read one value of f (not tagged handling) into target."""
        e = f.element
        flex = 'flex'
        nullable_here = (f.nullable.condition('v', f.versions.intersect(self.api.range))
                         if f.nullable else 'false')
        if f.is_array:
            inner = f.element if f.is_struct else PRIMITIVES[f.element][0]
            lines = [f'{pad}{{',
                     f'{pad}    const std::int32_t n = in.arrayLength({flex}, '
                     f'{f.element + "::kMinBytes" if f.is_struct else PRIMITIVES[e][1]});']
            if f.nullable:
                # null where this version does not allow it reads as empty
                lines += [f'{pad}    if (n < 0 && ({nullable_here}))',
                          f'{pad}        {target}.reset();',
                          f'{pad}    else',
                          f'{pad}        {target}.emplace();']
                vec = f'(*{target})'
                lines.append(f'{pad}    for (std::int32_t i = 0; i < n && in.ok(); ++i) {{')
            else:
                vec = target
                lines.append(f'{pad}    {vec}.clear();')
                lines.append(f'{pad}    for (std::int32_t i = 0; i < n && in.ok(); ++i) {{')
            if f.is_struct:
                lines += [f'{pad}        {inner} item;',
                          f'{pad}        item.read(in, v);',
                          f'{pad}        {vec}.push_back(std::move(item));']
            else:
                lines.append(f'{pad}        {vec}.push_back({self.read_primitive(e, flex)});')
            lines += [f'{pad}    }}', f'{pad}}}']
            return lines
        if f.is_struct:
            return [f'{pad}{target}.read(in, v);']
        if e in ('string', 'bytes'):
            method = 'nullableString' if e == 'string' else 'nullableBytes'
            if f.nullable:
                lines = [f'{pad}{target} = in.{method}({flex});']
                if not f.nullable.covers(f.versions.intersect(self.api.range)):
                    # null where this version does not allow it reads as empty
                    lines += [f'{pad}if (!{target} && !({nullable_here}))',
                              f'{pad}    {target}.emplace();']
                return lines
            return [f'{pad}{target} = in.{method}({flex}).value_or(QByteArray());']
        if e == 'records':
            if in_request:
                return [f'{pad}{target} = in.bytesView({flex});']
            return [f'{pad}{target} = in.nullableBytes({flex}).value_or(QByteArray());']
        return [f'{pad}{target} = {self.read_primitive(e, flex)};']

    @staticmethod
    def read_primitive(e, flex):
        return {
            'int8': 'in.i8()', 'int16': 'in.i16()', 'int32': 'in.i32()', 'int64': 'in.i64()',
            'uint16': 'std::uint16_t(in.i16())', 'float64': 'in.f64()', 'bool': 'in.boolean()',
            'uuid': 'in.uuid()', 'string': f'in.nullableString({flex}).value_or(QByteArray())',
            'bytes': f'in.nullableBytes({flex}).value_or(QByteArray())',
        }[e]

    # ---- writing
    def write_value(self, f, value, in_request, pad):
        e = f.element
        flex = 'flex'
        nullable_here = (f.nullable.condition('v', f.versions.intersect(self.api.range))
                         if f.nullable else 'false')
        if f.is_array:
            lines = []
            if f.nullable:
                lines += [f'{pad}if (!{value}) {{',
                          f'{pad}    if ({nullable_here})',
                          f'{pad}        out.nullArray({flex});',
                          f'{pad}    else',
                          f'{pad}        out.arrayLength({flex}, 0);',
                          f'{pad}}} else {{']
                vec = f'(*{value})'
                inner_pad = pad + '    '
            else:
                vec = value
                inner_pad = pad
            lines.append(f'{inner_pad}out.arrayLength({flex}, std::int32_t({vec}.size()));')
            lines.append(f'{inner_pad}for (const auto &item : {vec})')
            if f.is_struct:
                lines.append(f'{inner_pad}    item.write(out, v);')
            else:
                lines.append(f'{inner_pad}    {self.write_primitive(e, "item", flex)};')
            if f.nullable:
                lines.append(f'{pad}}}')
            return lines
        if f.is_struct:
            return [f'{pad}{value}.write(out, v);']
        if e in ('string', 'bytes'):
            method = 'nullableString' if e == 'string' else 'nullableBytes'
            plain = 'string' if e == 'string' else 'bytes'
            if f.nullable:
                return [f'{pad}if ({value} || !({nullable_here}))',
                        f'{pad}    out.{plain}({flex}, {value} ? QByteArrayView(*{value}) : QByteArrayView());',
                        f'{pad}else',
                        f'{pad}    out.{method}({flex}, std::nullopt);']
            return [f'{pad}out.{plain}({flex}, {value});']
        if e == 'records':
            return [f'{pad}out.bytes({flex}, {value});']
        return [f'{pad}{self.write_primitive(e, value, flex)};']

    @staticmethod
    def write_primitive(e, value, flex):
        return {
            'int8': f'out.i8({value})', 'int16': f'out.i16({value})', 'int32': f'out.i32({value})',
            'int64': f'out.i64({value})', 'uint16': f'out.i16(std::int16_t({value}))',
            'float64': f'out.f64({value})', 'bool': f'out.boolean({value})',
            'uuid': f'out.uuid({value})', 'string': f'out.string({flex}, {value})',
            'bytes': f'out.bytes({flex}, {value})',
        }[e]

    def default_value(self, f, in_request):
        """An expression for the field's default, to compare tagged values against."""
        t = cpp_type(f, in_request)
        d = cpp_default(f)
        if d.startswith(' = '):
            return f'{t}({d[3:]})'
        return f'{t}{{}}'

    # ---- definitions
    def define_struct(self, qualified, fields, in_request, parent_versions):
        api = self.api
        within = api.range
        body_r = [f'void {qualified}::read(Reader &in, [[maybe_unused]] std::int16_t v)', '{']
        body_w = [f'void {qualified}::write(Writer &out, [[maybe_unused]] std::int16_t v) const', '{']
        flex_expr = self.flex_cond(within)
        body_r.append(f'    [[maybe_unused]] const bool flex = {flex_expr};')
        body_w.append(f'    [[maybe_unused]] const bool flex = {flex_expr};')
        tagged = sorted((f for f in fields if f.tag is not None), key=lambda f: f.tag)
        for f in fields:
            if f.is_struct:
                self.define_struct(f'{qualified}::{f.element}', f.children, in_request,
                                   f.versions.intersect(parent_versions))
            if f.tag is not None:
                continue
            cond = f.versions.condition('v', within)
            if cond == 'false':
                continue
            if cond == 'true':
                body_r += self.read_value(f, f.member, in_request, '    ')
                body_w += self.write_value(f, f.member, in_request, '    ')
            else:
                body_r.append(f'    if ({cond}) {{')
                body_r += self.read_value(f, f.member, in_request, '        ')
                body_r.append('    }')
                body_w.append(f'    if ({cond}) {{')
                body_w += self.write_value(f, f.member, in_request, '        ')
                body_w.append('    }')
        if api.flexible is not None:
            # tagged fields: read the known ones, skip the rest
            body_r.append('    if (flex) {')
            body_r.append('        const std::int64_t count = in.unsignedVarint();')
            body_r.append('        for (std::int64_t i = 0; i < count && in.ok(); ++i) {')
            body_r.append('            const std::int64_t tag = in.unsignedVarint();')
            body_r.append('            const std::int64_t size = in.unsignedVarint();')
            if tagged:
                body_r.append('            Reader field = in.sub(size);')
                body_r.append('            switch (tag) {')
                for f in tagged:
                    cond = f.versions.condition('v', within)
                    body_r.append(f'            case {f.tag}:')
                    body_r.append(f'                if ({cond}) {{')
                    body_r += [re.sub(r'\bin\.', 'field.', l).replace('(in, v)', '(field, v)')
                               for l in self.read_value(f, f.member, in_request,
                                                        '                    ')]
                    body_r.append('                    if (!field.ok())')
                    body_r.append('                        in.fail();')
                    body_r.append('                }')
                    body_r.append('                break;')
                body_r.append('            default:')
                body_r.append('                break;')
                body_r.append('            }')
            else:
                body_r.append('            (void)tag;')
                body_r.append('            in.skip(size);')
            body_r.append('        }')
            body_r.append('    }')
            body_w.append('    if (flex) {')
            if tagged:
                body_w.append('        int count = 0;')
                for f in tagged:
                    cond = f.versions.condition('v', within)
                    body_w.append(f'        const bool has{f.tag} = ({cond}) && !({f.member} == '
                                  f'{self.default_value(f, in_request)});')
                    body_w.append(f'        count += has{f.tag} ? 1 : 0;')
                body_w.append('        out.unsignedVarint(std::uint32_t(count));')
                for f in tagged:
                    body_w.append(f'        if (has{f.tag}) {{')
                    body_w.append('            QByteArray buffer;')
                    body_w.append('            {')
                    body_w.append('                Writer inner(buffer);')
                    body_w += [re.sub(r'\bout\.', 'inner.', l).replace('(out, v)', '(inner, v)')
                               for l in self.write_value(f, f.member, in_request,
                                                         '                ')]
                    body_w.append('            }')
                    body_w.append(f'            out.unsignedVarint({f.tag});')
                    body_w.append('            out.unsignedVarint(std::uint32_t(buffer.size()));')
                    body_w.append('            out.raw(buffer);')
                    body_w.append('        }')
            else:
                body_w.append('        out.unsignedVarint(0);')
            body_w.append('    }')
        body_r.append('}')
        body_w.append('}')
        self.defs += body_r + [''] + body_w + ['']


def load(paths):
    apis = []
    for p in sorted(paths):
        api = parse(p)
        for part in ('request', 'response'):
            check_fields(api, getattr(api, part), p, api.range, set())
        apis.append(api)
    keys = {}
    for a in apis:
        if a.key in keys:
            raise SchemaError(f'{a.path}: API key {a.key} already used by {keys[a.key]}')
        keys[a.key] = a.name
    apis.sort(key=lambda a: a.key)
    return apis


HEADER_TOP = '''// Generated by broker/kafka/schema/generate.py from broker/kafka/schema/*.api: do not edit.
#pragma once

#include "kafka/wire.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QUuid>

#include <cstdint>
#include <optional>
#include <vector>

namespace rivulet::kafka {
'''


def write_cpp(apis, out_dir):
    h = [HEADER_TOP]
    h.append('enum class ApiKey : std::int16_t')
    h.append('{')
    for a in apis:
        h.append(f'    {a.name} = {a.key},')
    h.append('};')
    h.append('')
    h.append('// One row per API: what ApiVersions advertises and where the flexible versions begin')
    h.append('// (-1: none). In key order.')
    h.append('struct ApiInfo')
    h.append('{')
    h.append('    ApiKey key;')
    h.append('    const char *name;')
    h.append('    std::int16_t minVersion;')
    h.append('    std::int16_t maxVersion;')
    h.append('    std::int16_t firstFlexible;')
    h.append('    const char *section;')
    h.append('    bool isFlexible(std::int16_t v) const { return firstFlexible >= 0 && v >= firstFlexible; }')
    h.append('};')
    h.append('')
    h.append('inline constexpr ApiInfo kApiTable[] = {')
    for a in apis:
        flex = a.flexible if a.flexible is not None else -1
        h.append(f'    {{ApiKey::{a.name}, "{a.name}", {a.versions.lo}, {a.versions.hi}, {flex}, '
                 f'"{a.section}"}},')
    h.append('};')
    h.append('')
    h.append('// X(Name) for every API in the table, in key order.')
    h.append('#define RIVULET_KAFKA_APIS(X) \\')
    h.append(' \\\n'.join(f'    X({a.name})' for a in apis))
    h.append('')
    cpp = ['// Generated by broker/kafka/schema/generate.py from broker/kafka/schema/*.api: '
           'do not edit.',
           '#include "kafkamessages.h"',
           '',
           'namespace rivulet::kafka {',
           '']
    for a in apis:
        e = Emitter(a)
        for part, in_request in (('request', True), ('response', False)):
            name = a.name + ('Request' if in_request else 'Response')
            extra = (f'    static constexpr ApiKey kApiKey = ApiKey::{a.name};\n'
                     f'    static constexpr std::int16_t kMinVersion = {a.versions.lo};\n'
                     f'    static constexpr std::int16_t kMaxVersion = {a.versions.hi};\n'
                     f'    static constexpr std::int16_t kFirstFlexible = '
                     f'{a.flexible if a.flexible is not None else -1};')
            h += e.declare_struct(name, getattr(a, part), in_request, 0, extra)
            h.append('')
            e.define_struct(name, getattr(a, part), in_request, a.range)
        cpp += e.defs
    h.append('} // namespace rivulet::kafka')
    cpp.append('} // namespace rivulet::kafka')
    os.makedirs(out_dir, exist_ok=True)
    write_if_changed(os.path.join(out_dir, 'kafkamessages.h'), '\n'.join(h) + '\n')
    write_if_changed(os.path.join(out_dir, 'kafkamessages.cpp'), '\n'.join(cpp) + '\n')


def sample_value(f, in_request, qualified, index):
    """A C++ expression for a value of f that differs from its default."""
    e = f.element
    if f.is_struct:
        one = f'sample_{qualified}_{f.element}(v, seed + {index})'
        if f.is_array:
            inner = f'std::vector<{qualified.replace("_", "::")}::{f.element}>{{{one}, ' \
                    f'sample_{qualified}_{f.element}(v, seed + {index + 1})}}'
            return inner
        return one
    prim = {
        'int8': f'std::int8_t(seed + {index})',
        'int16': f'std::int16_t(300 + seed + {index})',
        'int32': f'std::int32_t(70000 + seed + {index})',
        'int64': f'std::int64_t(5000000000LL + seed + {index})',
        'uint16': f'std::uint16_t(40000 + seed + {index})',
        'float64': f'double(0.5 + seed + {index})',
        'bool': 'true',
        'uuid': f'QUuid(0x12345678u + unsigned(seed + {index}), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)',
        'string': f'QByteArray("{f.name}-") + QByteArray::number(seed + {index})',
        'bytes': f'QByteArray("\\x00\\x01{f.name}", {len(f.name) + 2})',
        'records': 'QByteArrayView(kRecords)' if in_request else 'QByteArray(kRecords)',
    }[e]
    if f.is_array:
        return f'std::vector<{PRIMITIVES[e][0]}>{{{prim}, {prim}}}'
    return prim


def sample_functions(api, name, fields, in_request, qualified, out):
    for i, f in enumerate(fields):
        if f.is_struct:
            sample_functions(api, f.element, f.children, in_request, f'{qualified}_{f.element}',
                             out)
    ctype = qualified.replace('_', '::')
    out.append(f'{ctype} sample_{qualified}([[maybe_unused]] std::int16_t v, '
               f'[[maybe_unused]] int seed)')
    out.append('{')
    out.append(f'    {ctype} m;')
    for i, f in enumerate(fields):
        cond = f.versions.condition('v', api.range)
        if cond == 'false':
            continue
        out.append(f'    if ({cond})')
        out.append(f'        m.{f.member} = {sample_value(f, in_request, qualified, i * 3)};')
    out.append('    return m;')
    out.append('}')
    out.append('')


def write_samples(apis, out_dir):
    out = ['// Generated by broker/kafka/schema/generate.py --samples: do not edit.',
           '#include "kafkasamples.h"',
           '',
           'namespace rivulet::kafka::samples {',
           'namespace {',
           '',
           'const char kRecords[] = "not really a record batch: the codec does not look";',
           '']
    for a in apis:
        for part, in_request in (('request', True), ('response', False)):
            name = a.name + ('Request' if in_request else 'Response')
            sample_functions(a, name, getattr(a, part), in_request, name, out)
    out.append('template <class M>')
    out.append('Codec codec(M (*make)(std::int16_t, int))')
    out.append('{')
    out.append('    Codec c;')
    out.append('    c.encode = [make](std::int16_t v, QByteArray &bytes) {')
    out.append('        Writer w(bytes);')
    out.append('        make(v, 0).write(w, v);')
    out.append('    };')
    out.append('    c.decode = [](std::int16_t v, QByteArrayView bytes, QByteArray &again) {')
    out.append('        Reader r(bytes);')
    out.append('        M decoded;')
    out.append('        decoded.read(r, v);')
    out.append('        if (!r.ok())')
    out.append('            return QStringLiteral("does not decode");')
    out.append('        if (r.remaining() != 0)')
    out.append('            return QStringLiteral("%1 bytes left over").arg(r.remaining());')
    out.append('        Writer w(again);')
    out.append('        decoded.write(w, v);')
    out.append('        return QString();')
    out.append('    };')
    out.append('    return c;')
    out.append('}')
    out.append('')
    out.append('} // namespace')
    out.append('')
    out.append('std::vector<Message> all()')
    out.append('{')
    out.append('    return {')
    for a in apis:
        flex = a.flexible if a.flexible is not None else -1
        for part in ('Request', 'Response'):
            fields = a.request if part == 'Request' else a.response
            top_tags = any(f.tag is not None for f in fields)
            out.append(f'        {{ApiKey::{a.name}, "{a.name}{part}", {a.versions.lo}, '
                       f'{a.versions.hi}, {flex}, {"true" if top_tags else "false"}, '
                       f'codec(&sample_{a.name}{part})}},')
    out.append('    };')
    out.append('}')
    out.append('')
    out.append('} // namespace rivulet::kafka::samples')
    os.makedirs(out_dir, exist_ok=True)
    write_if_changed(os.path.join(out_dir, 'kafkasamples.cpp'), '\n'.join(out) + '\n')


def write_if_changed(path, text):
    try:
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def markdown(apis):
    out = ['| API | key | versions | flexible from | handler |',
           '|---|---|---|---|---|']
    for a in apis:
        flex = f'v{a.flexible}' if a.flexible is not None else '—'
        rng = f'{a.versions.lo}–{a.versions.hi}' if a.versions.lo != a.versions.hi else f'{a.versions.lo}'
        sec = f'§{a.section}' if a.section else ''
        out.append(f'| {a.name} | {a.key} | {rng} | {flex} | {sec} |')
    return '\n'.join(out) + '\n'


BEGIN = '<!-- api-table: generated by broker/kafka/schema/generate.py --doc; do not edit -->'
END = '<!-- api-table end -->'


def doc(path, apis, update):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        print(f'generate.py: {path} has no api-table markers', file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + BEGIN + '\n' + markdown(apis) + END + tail
    if new == text:
        return 0
    if update:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(new)
        return 0
    print(f'generate.py: the API table in {path} is out of date; run '
          f'broker/kafka/schema/generate.py --doc {path} --update broker/kafka/schema/*.api',
          file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[1] == '--cpp':
            write_cpp(load(argv[3:]), argv[2])
        elif argv[1] == '--samples':
            write_samples(load(argv[3:]), argv[2])
        elif argv[1] == '--markdown':
            sys.stdout.write(markdown(load(argv[2:])))
        elif argv[1] == '--check':
            load(argv[2:])
        elif argv[1] == '--doc':
            update = len(argv) > 3 and argv[3] == '--update'
            return doc(argv[2], load(argv[4 if update else 3:]), update)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except SchemaError as e:
        print(f'generate.py: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
