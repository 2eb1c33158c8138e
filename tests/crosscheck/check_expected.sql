-- tests/crosscheck/check_expected.sql — compares the hand-worked cells of
-- fixture.sql (crosscheck.expected, or the table named by :expected, e.g.
-- crosscheck.expected17) with the cells of one implementation, named by psql
-- variable :cells (crosscheck.sql_cells or crosscheck.c_cells).
-- Prints every mismatch and last a line "mismatches: N".
\set ON_ERROR_STOP 1
\if :{?expected}
\else
\set expected crosscheck.expected
\endif
\pset footer off
select e.metric, e.period_type, e.dim, e.period, e.grp,
       e.numerator as want_num, c.numerator as got_num,
       e.denominator as want_den, c.denominator as got_den,
       e.quantile_2s as want_q2s, c.quantile_2s as got_q2s,
       e.children as want_children, c.children as got_children
from :expected e
left join :cells c using (metric, period_type, dim, period, grp)
where case when e.expect_absent then c.metric is not null
           else c.metric is null
                or c.numerator is distinct from e.numerator
                or c.denominator is distinct from e.denominator
                or c.quantile_2s is distinct from e.quantile_2s
                or (e.children is not null and c.children is distinct from e.children) end
order by 1, 2, 3, 4, 5;
select 'mismatches: ' || count(*)
from :expected e
left join :cells c using (metric, period_type, dim, period, grp)
where case when e.expect_absent then c.metric is not null
           else c.metric is null
                or c.numerator is distinct from e.numerator
                or c.denominator is distinct from e.denominator
                or c.quantile_2s is distinct from e.quantile_2s
                or (e.children is not null and c.children is distinct from e.children) end;
