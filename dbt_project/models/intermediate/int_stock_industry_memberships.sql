-- Point-in-time SW membership: a stock belongs to the industry of its latest classification row
-- with start_date <= d, so each row is valid from its start_date until the next row's.
with

classifications as (

    select * from {{ ref('stg_akshare__sw_classifications') }}

),

l1_industries as (

    select * from {{ ref('sw_l1_industries') }}

),

memberships as (

    select
        classifications.symbol,
        classifications.industry_code,
        classifications.l1_industry_code,
        l1_industries.index_code as l1_index_code,
        l1_industries.index_name as l1_index_name,
        classifications.start_date as valid_from,
        lead(classifications.start_date) over (
            partition by classifications.symbol
            order by classifications.start_date
        ) as valid_to,
        classifications.provenance

    from classifications
    left join l1_industries
        on classifications.l1_industry_code = l1_industries.industry_code

)

select * from memberships
