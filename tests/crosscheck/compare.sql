-- tests/crosscheck/compare.sql — compares the C engine's raw cells
-- (crosscheck.c_cells, loaded from casa-dump) with the SQL implementation's
-- (crosscheck.sql_cells, from metrics.sql) on every cell: a FULL OUTER JOIN on
-- (metric, period_type, dim, period, grp); numerator, denominator,
-- quantile_2s and children (distinct children, disclosure's input) must match,
-- and expected (issue 14, advocate tables) to 1e-9 relative. A cell missing on one side is a
-- difference (both sides list every cell with a nonzero numerator or
-- denominator). Prints the differing cells per metric and dimension, the
-- first 20 of them, and last a line "differences: N".
--
-- Synthetic test data only: these are raw, unprotected cells.

\set ON_ERROR_STOP 1
\pset footer off

drop table if exists crosscheck.diff;
create table crosscheck.diff as
select coalesce(c.metric, s.metric) as metric,
       coalesce(c.period_type, s.period_type) as period_type,
       coalesce(c.dim, s.dim) as dim,
       coalesce(c.period, s.period) as period,
       coalesce(c.grp, s.grp) as grp,
       c.numerator as c_num, s.numerator as sql_num,
       c.denominator as c_den, s.denominator as sql_den,
       c.quantile_2s as c_q2s, s.quantile_2s as sql_q2s,
       c.children as c_children, s.children as sql_children,
       c.expected as c_expected, s.expected as sql_expected,
       case when c.metric is null then 'only in SQL'
            when s.metric is null then 'only in C'
            else 'values differ' end as kind
from crosscheck.c_cells c
full outer join crosscheck.sql_cells s
  on s.metric = c.metric and s.period_type = c.period_type and s.dim = c.dim
 and s.period = c.period and s.grp = c.grp
where c.metric is null or s.metric is null
   or c.numerator is distinct from s.numerator
   or c.denominator is distinct from s.denominator
   or c.quantile_2s is distinct from s.quantile_2s
   or c.children is distinct from s.children
   -- issue 14: sums of fractions in a different order: 1e-9 relative
   or (c.expected is null) <> (s.expected is null)
   or abs(c.expected - s.expected) > 1e-9 * greatest(1, abs(s.expected));

\echo 'cells: C / SQL'
select (select count(*) from crosscheck.c_cells) as c_cells,
       (select count(*) from crosscheck.sql_cells) as sql_cells;

\echo 'differing cells per metric and breakdown'
select metric, dim, kind, count(*) as cells
from crosscheck.diff group by 1, 2, 3 order by 1, 2, 3;

\echo 'first 20 differing cells'
select metric, period_type, dim, period, grp, c_num, sql_num, c_den, sql_den, c_q2s, sql_q2s,
       c_children, sql_children, c_expected, sql_expected
from crosscheck.diff
order by metric, period_type, dim, period, grp
limit 20;

select 'differences: ' || count(*) from crosscheck.diff;
